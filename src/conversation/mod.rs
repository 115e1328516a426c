//! Conversations: one engine asking typed questions in private chats, for surveys now and forms, interviews later.

pub mod answer;
pub mod def;
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
