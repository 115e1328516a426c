//! The IMAP checkpoint: UIDVALIDITY and the last UID whose outcome arrived,
//! written atomically (temp file, fsync, rename) in the state dir.

use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    pub uid_validity: u32,
    pub last_uid: u32,
}

pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    /// One file per watched folder: `state_dir/imap-<folder>.checkpoint`.
    pub fn new(state_dir: &std::path::Path, folder: &str) -> Self {
        let safe: String = folder.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        CheckpointFile { path: state_dir.join(format!("imap-{safe}.checkpoint")) }
    }

    /// The stored checkpoint, or zero when there is none yet.
    pub fn load(&self) -> std::io::Result<Checkpoint> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Checkpoint::default()),
            Err(e) => return Err(e),
        };
        let mut nums = text.split_whitespace().map(str::parse::<u32>);
        match (nums.next(), nums.next()) {
            (Some(Ok(uid_validity)), Some(Ok(last_uid))) => Ok(Checkpoint { uid_validity, last_uid }),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not \"<uidvalidity> <uid>\"", self.path.display()),
            )),
        }
    }

    pub fn save(&self, c: Checkpoint) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(f, "{} {}", c.uid_validity, c.last_uid)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_starts_at_zero() {
        let dir = tempfile::tempdir().unwrap();
        let f = CheckpointFile::new(dir.path(), "INBOX");
        assert_eq!(f.load().unwrap(), Checkpoint::default());
        f.save(Checkpoint { uid_validity: 7, last_uid: 42 }).unwrap();
        assert_eq!(f.load().unwrap(), Checkpoint { uid_validity: 7, last_uid: 42 });
        std::fs::write(dir.path().join("imap-INBOX.checkpoint"), "junk").unwrap();
        assert!(f.load().is_err());
    }
}
