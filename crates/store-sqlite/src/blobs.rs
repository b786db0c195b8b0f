//! Attachment bytes as files under the blob directory, `ab/cd/<sha256>`: written to a temporary
//! file, fsync'd, renamed into place and the directory fsync'd, so a blob is either complete
//! or absent after a crash. Content-addressed, so storing the same bytes twice is a no-op.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use trustdesk_store::StoreError;

use crate::error::failure;

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn path_of(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[0..2]).join(&sha256[2..4]).join(sha256)
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    failure(format!("{what} {}: {e}", path.display()))
}

pub(crate) fn put(dir: &Path, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
    if !is_sha256_hex(sha256) {
        return Err(failure(format!(
            "blob key `{}` is not a lower-case hex SHA-256",
            sha256.chars().take(80).collect::<String>()
        )));
    }
    let actual = hex::encode(Sha256::digest(bytes));
    if actual != sha256 {
        return Err(failure(format!(
            "blob content hashes to {actual}, not to the key {sha256}"
        )));
    }
    let path = path_of(dir, sha256);
    if path.exists() {
        return Ok(());
    }
    let parent = path.parent().unwrap_or(dir);
    fs::create_dir_all(parent).map_err(|e| io_error("cannot create", parent, e))?;
    // Unique per writer, so concurrent puts of the same blob never share a temporary file.
    let tmp = parent.join(format!(
        ".{sha256}.{}.{:?}.tmp",
        std::process::id(),
        std::thread::current().id()
    ));
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("cannot write", &tmp, e));
    }
    if let Err(e) = fs::rename(&tmp, &path) {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("cannot move into place", &path, e));
    }
    // The rename is durable only once the directory entry is.
    File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("cannot sync", parent, e))
}

pub(crate) fn get(dir: &Path, sha256: &str) -> Result<Vec<u8>, StoreError> {
    if !is_sha256_hex(sha256) {
        return Err(StoreError::not_found(
            "blob",
            sha256.chars().take(80).collect::<String>(),
        ));
    }
    let path = path_of(dir, sha256);
    match fs::read(&path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(StoreError::not_found("blob", sha256)),
        Err(e) => Err(io_error("cannot read", &path, e)),
    }
}
