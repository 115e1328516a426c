//! Conversations: one engine that asks typed questions one at a time in a private chat, checks and branches,
//! for every feature that needs answers from people (surveys today; campaign forms, interview questions and
//! showcase submissions later). An owner implements `engine::Script`; the engine does the rest.

pub mod answer;
pub mod engine;
pub mod fields;
pub mod question;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fields;

pub use answer::{normalize, Answer};
pub use engine::{ask, parse_button, step, summary, Input, Pick, Progress, Reply, Script};
pub use fields::Field;
pub use question::{Kind, Next, Question};
