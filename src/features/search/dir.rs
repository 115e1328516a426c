//! The index's directory: tantivy's memory-mapped one, except that the doc
//! stores (`*.store`: each document's title and body, read only for the few
//! hits a query shows) are read with `pread`.
//!
//! Why: a served query reads a 16 KB block of the doc store per hit shown,
//! scattered over the whole corpus. Mapped, every block ever read stays in
//! the process's resident memory (363 MB of 596 at 1,000,000 notices, see
//! docs/BENCHMARKS.md); read, a block lives only as long as the hit that
//! needs it (tantivy keeps the last 100 decompressed blocks), and the
//! kernel's page cache, shared and reclaimable, keeps the file warm.
//! Postings, positions and fast fields stay mapped: each query walks them.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy_common::file_slice::WrapFile;

#[derive(Debug, Clone)]
pub struct IndexDir {
    root: PathBuf,
    mapped: MmapDirectory,
}

impl IndexDir {
    pub fn open(root: &Path) -> tantivy::Result<IndexDir> {
        let mapped = MmapDirectory::open(root)?;
        Ok(IndexDir { root: root.to_path_buf(), mapped })
    }
}

fn read_not_mapped(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "store")
}

impl Directory for IndexDir {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        if !read_not_mapped(path) {
            return self.mapped.get_file_handle(path);
        }
        let full = self.root.join(path);
        let file = File::open(&full).and_then(WrapFile::new).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
            _ => OpenReadError::wrap_io_error(e, full),
        })?;
        Ok(Arc::new(file))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mapped.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mapped.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mapped.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mapped.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mapped.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mapped.sync_directory()
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mapped.watch(watch_callback)
    }

    /// The mapped directory's lock: an OS file lock, released when the
    /// process dies. (The trait's default creates a file and deletes it on
    /// drop; a process killed with -9 left it, and the index was locked for
    /// good.)
    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mapped.acquire_lock(lock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use tantivy::directory::TerminatingWrite;

    #[test]
    fn a_store_file_is_read_and_other_files_are_mapped_with_the_same_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = IndexDir::open(tmp.path()).unwrap();
        for name in ["a.store", "a.idx"] {
            let mut w = dir.open_write(Path::new(name)).unwrap();
            w.write_all("精彩微博团，青春心连心".as_bytes()).unwrap();
            w.terminate().unwrap();
            let bytes = dir.open_read(Path::new(name)).unwrap().read_bytes().unwrap();
            assert_eq!(std::str::from_utf8(bytes.as_slice()).unwrap(), "精彩微博团，青春心连心");
            let part = dir.open_read(Path::new(name)).unwrap().slice(6..15).read_bytes().unwrap();
            assert_eq!(std::str::from_utf8(part.as_slice()).unwrap(), "微博团");
        }
        assert!(matches!(dir.get_file_handle(Path::new("gone.store")), Err(OpenReadError::FileDoesNotExist(_))));
        assert!(matches!(dir.get_file_handle(Path::new("gone.idx")), Err(OpenReadError::FileDoesNotExist(_))));
    }

    /// The writer's lock is the OS's: a second writer is refused while the
    /// first holds it, and a lock file left in the directory by a process
    /// killed with -9 does not keep the next writer out.
    #[test]
    fn the_writer_lock_is_held_while_taken_and_not_by_a_file_left_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let lock = Lock { filepath: std::path::PathBuf::from(".tantivy-writer.lock"), is_blocking: false };
        std::fs::write(tmp.path().join(".tantivy-writer.lock"), b"").unwrap();
        let dir = IndexDir::open(tmp.path()).unwrap();
        let held = dir.acquire_lock(&lock).expect("a file left behind is no lock");
        assert!(dir.acquire_lock(&lock).is_err(), "a second writer while the first holds the lock");
        drop(held);
        assert!(dir.acquire_lock(&lock).is_ok(), "free again once released");
    }
}
