//! The store directory holds the access token and the end-to-end keys:
//! only the bot's own system user may read it (directories 0700, files 0600).

use std::io;
use std::path::Path;

/// Creates `dir` (0700) if needed and takes group and other access away
/// from it and from everything under it. Returns how many entries it had
/// to change. SQLite gives a database's `-wal` and `-shm` files the mode of
/// the database, so private databases stay private.
#[cfg(unix)]
pub(crate) fn make_private(dir: &Path) -> io::Result<usize> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    // `store_dir` itself may be a symlink to the real directory; entries
    // under it are not followed.
    tighten(dir, std::fs::metadata(dir)?)
}

#[cfg(not(unix))]
pub(crate) fn make_private(dir: &Path) -> io::Result<usize> {
    std::fs::create_dir_all(dir).map(|_| 0)
}

#[cfg(unix)]
fn tighten(path: &Path, meta: std::fs::Metadata) -> io::Result<usize> {
    use std::os::unix::fs::PermissionsExt;
    let private = if meta.is_dir() {
        0o700
    } else if meta.is_file() {
        0o600
    } else {
        return Ok(0); // symlinks, sockets: not ours to change
    };
    let mut changed = 0;
    if meta.permissions().mode() & 0o077 != 0 {
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)) {
            Ok(()) => changed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0), // removed meanwhile (a journal)
            Err(e) => return Err(e),
        }
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            match entry.metadata() {
                Ok(meta) => changed += tighten(&entry.path(), meta)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(changed)
}

#[cfg(all(test, unix))]
mod tests {
    use std::fs::Permissions;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::make_private;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_new_store_dir_is_created_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data/matrix");
        assert_eq!(make_private(&dir).unwrap(), 0, "nothing existed to tighten");
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn an_existing_readable_store_is_tightened_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("matrix");
        let store = dir.join("store");
        std::fs::create_dir_all(&store).unwrap();
        let files = ["matrix-sdk-state.sqlite3", "matrix-sdk-crypto.sqlite3", "matrix-sdk-crypto.sqlite3-wal"];
        for f in files {
            std::fs::write(store.join(f), b"x").unwrap();
            chmod(&store.join(f), 0o644);
        }
        chmod(&store, 0o755);
        chmod(&dir, 0o755);

        assert_eq!(make_private(&dir).unwrap(), 2 + files.len());
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&store), 0o700);
        for f in files {
            assert_eq!(mode(&store.join(f)), 0o600, "{f}");
        }
        assert_eq!(make_private(&dir).unwrap(), 0, "a second start changes nothing");
    }

    #[test]
    fn entries_already_private_are_left_as_they_are() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("matrix");
        std::fs::create_dir(&dir).unwrap();
        chmod(&dir, 0o700);
        let key = dir.join("session.json");
        std::fs::write(&key, b"{}").unwrap();
        chmod(&key, 0o400);
        assert_eq!(make_private(&dir).unwrap(), 0);
        assert_eq!(mode(&key), 0o400);
    }
}
