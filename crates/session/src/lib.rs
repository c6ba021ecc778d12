//! The application core both front ends share (the `catena` CLI and the desktop shell): the
//! settings schema and its one store in the catalog ([`settings`], [`store`], [`config`]), where
//! API keys are found ([`keys`]), and the one composition of a run from the settings and the
//! caller's overrides ([`compose`]). It sits between the front ends and the adapters: the front
//! ends parse input and show output, this crate decides what a run is made of. With the `cli`
//! feature, [`cli`] holds the flags and output helpers the two command-line binaries share.

#[cfg(feature = "cli")]
pub mod cli;
pub mod compose;
pub mod config;
pub mod keys;
pub mod settings;
pub mod store;

pub use compose::{ComposeError, Model, NoModel, Overrides, Run, WebUse, library_tables, model_client, prepare};
pub use settings::{
    AgentProtocolChoice, AskMode, EmbeddingProvider, EmbeddingSettings, EngineSettings, LibrarySettings, LlmPreset,
    LlmProvider, LlmSettings, Missing, ObservationsChoice, Settings, SettingsError, WebProvider, WebSettings,
};
pub use store::{load, migrate, save};
