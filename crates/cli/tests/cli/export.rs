//! `catena export` on a run asked of a real library: files written where asked, in the format
//! asked, and clear errors.

use std::process::Output;

use acceptance::write;
use serde_json::Value;

use crate::Catena;

fn run(c: &Catena, args: &[&str]) -> Output {
    let mut cmd = c.cmd();
    for var in ["CATENA_LLM_URL", "CATENA_LLM_MODEL", "CATENA_LLM_PROVIDER", "CATENA_LLM_API_KEY"] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_stored_run_exports_to_markdown_and_docx() {
    let files = tempfile::tempdir().unwrap();
    write(
        files.path(),
        "notes/montreal.md",
        "# Histoire de Montréal\n\nMontréal was founded in 1642 by Paul de Chomedey on the island. \
         <script>alert(1)</script>\n\n## Géographie\n\nThe city lies on an island in the Saint Lawrence River.\n"
            .as_bytes(),
    );
    let c = Catena::new();
    let (code, summary) = c.ingest(&[files.path()]);
    assert_eq!(code, 0, "{summary}");
    let out = run(&c, &["--json", "ask", "--no-llm", "When was Montréal founded?"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = record["run_id"].as_str().unwrap();
    let answer = record["answer"].as_str().unwrap();
    assert!(answer.contains("1642") && answer.contains("[1]"), "{record:#}");

    // Markdown: the question, the answer with footnote markers, the reference with its path.
    let target = tempfile::tempdir().unwrap();
    let md_path = target.path().join("out.md");
    let out = run(&c, &["export", id, "--format", "md", "-o", md_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("out.md"), "says where it wrote");
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.starts_with("# When was Montréal founded?\n"), "{md}");
    assert!(md.contains("1642") && md.contains("[^1]"), "{md}");
    assert!(md.contains("\n[^1]: "), "{md}");
    assert!(md.contains("notes/montreal.md"), "the source path is listed: {md}");
    assert!(!md.contains("<script>"), "{md}");
    let leftovers: Vec<_> = std::fs::read_dir(target.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind: {leftovers:?}");

    // DOCX with --json: the summary names the file, and the file is a package with footnotes
    // that our own DOCX reader opens.
    let docx_path = target.path().join("out.docx");
    let out =
        run(&c, &["--json", "export", &id[..id.len() - 2], "--format", "docx", "-o", docx_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let bytes = std::fs::read(&docx_path).unwrap();
    assert_eq!(summary["run_id"], id, "a prefix finds the run");
    assert_eq!(summary["format"], "docx");
    assert_eq!(summary["path"], docx_path.to_str().unwrap());
    assert_eq!(summary["bytes"], bytes.len() as u64);
    assert!(bytes.starts_with(b"PK"));
    assert!(bytes.windows(18).any(|w| w == b"word/footnotes.xml"));
    let doc = extract::extract(&docx_path, &extract::ExtractOptions::default()).unwrap();
    assert!(doc.text.contains("When was Montréal founded?"), "{}", doc.text);
    assert!(doc.text.contains("Paul de Chomedey"), "{}", doc.text);

    // A bibliography on stdout; a binary format to a pipe is fine.
    let out = run(&c, &["export", id, "--format", "ris"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ris = String::from_utf8_lossy(&out.stdout);
    assert!(ris.starts_with("TY  - GEN\r\n") && ris.contains("TI  - Histoire de Montréal"), "{ris}");
    let out = run(&c, &["export", id, "--format", "pdf", "--style", "ieee"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.starts_with(b"%PDF-"));
}

#[test]
fn export_errors_are_clear() {
    let c = Catena::new();
    let out = run(&c, &["export", "r-nope", "--format", "md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no run 'r-nope' in the history"), "{}", stderr(&out));

    let out = run(&c, &["export", "r-nope", "--format", "odt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown format 'odt'"), "{}", stderr(&out));
    let out = run(&c, &["export", "r-nope", "--format", "md", "--style", "turabian"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown citation style 'turabian'"), "{}", stderr(&out));

    // A folder that does not exist is reported before anything is written.
    let files = tempfile::tempdir().unwrap();
    write(files.path(), "a.md", b"# Walruses\n\nWalruses live in the Arctic.\n");
    c.ingest(&[files.path()]);
    let out = run(&c, &["--json", "ask", "--no-llm", "Where do walruses live?"]);
    let id = serde_json::from_slice::<Value>(&out.stdout).unwrap()["run_id"].as_str().unwrap().to_string();
    let missing = files.path().join("no/such/dir/out.pdf");
    let out = run(&c, &["export", &id, "--format", "pdf", "-o", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    assert!(!missing.exists());
    let out = run(&c, &["--json", "export", &id, "--format", "md"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--json needs -o FILE"), "{}", stderr(&out));
}
