//! Surveys on the shared conversation engine: conversation rows read as
//! before.

use super::*;

/// The row as written before the engine moved out of the survey module.
#[derive(Serialize)]
struct FlatRow {
    branch: u32,
    at: u16,
    answers: Vec<Option<Answer>>,
    trail: Vec<u16>,
    picked: Vec<u8>,
    editing: bool,
    slot: Option<[u8; 16]>,
}

#[test]
fn conversation_rows_keep_their_layout() {
    let answers = vec![Some(Answer::Choice(1)), None, Some(Answer::Text("是".into()))];
    let flat = FlatRow {
        branch: 7,
        at: 2,
        answers: answers.clone(),
        trail: vec![0, 1],
        picked: vec![3],
        editing: true,
        slot: Some([9; 16]),
    };
    let c: Conversation = decode(&encode(&flat)).unwrap();
    let progress = Progress { at: 2, answers, trail: vec![0, 1], picked: vec![3], editing: true };
    assert_eq!(c, Conversation { branch: 7, progress, slot: Some([9; 16]) });
    assert_eq!(encode(&c), encode(&flat));
}
