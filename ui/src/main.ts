import "./styles.css";
import { mountApp } from "./app";
import { reportFirstPaint } from "./first-paint";
import { tauriClient } from "./ipc/client";

const root = document.getElementById("app");
if (root !== null) {
  mountApp(root, tauriClient);
  void reportFirstPaint(window, tauriClient);
}
