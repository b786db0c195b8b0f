//! Where the shared real-world corpus lives. CI always has it beside the repository, so a
//! missing corpus is a failure, never a silent skip.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `TRUSTDESK_CORPUS` (the folder holding `mail/`) overrides the default place, for work trees
/// that do not sit beside `shared/`.
pub fn corpus() -> PathBuf {
    let base = std::env::var_os("TRUSTDESK_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    let dir = base.join("mail");
    assert!(
        dir.is_dir(),
        "the mail corpus is missing at {} (it belongs at ../shared/corpus relative to the repository root)",
        dir.display()
    );
    dir
}

/// Every file under `dir` (recursively) whose name ends with one of `exts`, sorted.
pub fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if exts.is_empty() || exts.iter().any(|x| path.to_string_lossy().ends_with(x)) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
