//! `cleanup-temp-files` (`directories`, `olderThan` days, `extensions`): deletes old files
//! only inside the allowed roots (`CLEANUP_ALLOWED_DIRS`), never through a symlink.
//!
//! Paths are checked before anything is opened (no `..`, no NUL, absolute ones must lie in
//! a root, relative ones resolve against the first root). The walk then works on directory
//! file descriptors: each directory is opened relative to its parent's descriptor with
//! `O_NOFOLLOW`, each entry is examined with `fstatat(AT_SYMLINK_NOFOLLOW)` and removed with
//! `unlinkat` on the parent's descriptor. A symlink is never followed, and a directory
//! swapped for a symlink mid-run is either seen as a symlink (skipped) or fails to open
//! with `O_NOFOLLOW` (skipped): nothing outside the roots can be reached.

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

#[cfg(unix)]
pub use walk::clean;

/// `cleanup-temp-files`' data.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TempFilesJob {
    /// Directories to clean, inside the allowed roots (`CLEANUP_ALLOWED_DIRS`); relative
    /// ones resolve against the first.
    #[schemars(title = "Directories", length(min = 1))]
    pub directories: Vec<String>,
    /// Files older than this many days go (0 to 36500).
    #[schemars(title = "Older than (days)", range(min = 0, max = 36_500))]
    pub older_than: f64,
    /// Only files with these extensions (`.tmp`); all files when empty.
    #[serde(default)]
    #[schemars(title = "Extensions")]
    pub extensions: Vec<String>,
}

/// What a run removed and met.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    /// Files removed.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Symlinks seen and left alone.
    pub symlinks_skipped: u64,
    /// Entries that could not be examined or removed.
    pub errors: u64,
}

/// Checks a requested directory against the roots and returns (root, path inside it).
pub fn resolve(roots: &[PathBuf], raw: &str) -> Result<(PathBuf, PathBuf), String> {
    if raw.contains('\0') {
        return Err(format!(
            "directory `{}` contains a NUL byte",
            raw.escape_debug()
        ));
    }
    let path = Path::new(raw);
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("directory `{raw}` contains `..`"));
    }
    let first = roots
        .first()
        .ok_or("CLEANUP_ALLOWED_DIRS names no directory")?;
    if path.is_absolute() {
        for root in roots {
            if let Ok(inside) = path.strip_prefix(root) {
                return Ok((root.clone(), inside.to_path_buf()));
            }
        }
        return Err(format!(
            "directory `{raw}` is outside the allowed roots ({}; CLEANUP_ALLOWED_DIRS)",
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let inside: PathBuf = path
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    Ok((first.clone(), inside))
}

/// The walk itself: directory descriptors, `openat`/`fstatat`/`unlinkat` (POSIX only).
#[cfg(unix)]
mod walk {
    use std::ffi::OsStr;
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Component, Path};

    use rustix::fs::{openat, statat, unlinkat, AtFlags, Dir, FileType, Mode, OFlags, CWD};

    use super::Removed;

    const OPEN_DIR: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC);

    /// Opens `inside` under `root` one component at a time, refusing symlinks anywhere.
    fn open_inside(root: &Path, inside: &Path) -> Result<OwnedFd, String> {
        let mut fd = openat(CWD, root, OPEN_DIR, Mode::empty())
            .map_err(|e| format!("cannot open the root {}: {e}", root.display()))?;
        for part in inside.components() {
            let Component::Normal(name) = part else {
                continue;
            };
            fd = openat(&fd, name, OPEN_DIR, Mode::empty()).map_err(|e| {
                format!(
                    "cannot open {} inside {} without following a symlink: {e}",
                    inside.display(),
                    root.display()
                )
            })?;
        }
        Ok(fd)
    }

    /// Removes matching files older than `cutoff` (seconds since the epoch) in the directory
    /// `inside` of `root` and below. `before_dir` runs before each subdirectory is opened
    /// (tests use it to swap a directory for a symlink mid-run).
    pub fn clean(
        root: &Path,
        inside: &Path,
        cutoff: i64,
        extensions: &[String],
        before_dir: &mut dyn FnMut(&OsStr),
    ) -> Result<Removed, String> {
        let fd = open_inside(root, inside)?;
        let mut removed = Removed::default();
        walk(&fd, cutoff, extensions, &mut removed, before_dir, 0);
        Ok(removed)
    }

    fn walk(
        dir: &OwnedFd,
        cutoff: i64,
        extensions: &[String],
        removed: &mut Removed,
        before_dir: &mut dyn FnMut(&OsStr),
        depth: usize,
    ) {
        const MAX_DEPTH: usize = 64;
        let Ok(entries) = Dir::read_from(dir) else {
            removed.errors += 1;
            return;
        };
        for entry in entries {
            let Ok(entry) = entry else {
                removed.errors += 1;
                continue;
            };
            let name = OsStr::from_bytes(entry.file_name().to_bytes()).to_os_string();
            if name == "." || name == ".." {
                continue;
            }
            let Ok(stat) = statat(dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) else {
                removed.errors += 1;
                continue;
            };
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Symlink => removed.symlinks_skipped += 1,
                FileType::Directory if depth < MAX_DEPTH => {
                    before_dir(&name);
                    // O_NOFOLLOW: if it became a symlink since the stat, this fails.
                    match openat(dir, name.as_os_str(), OPEN_DIR, Mode::empty()) {
                        Ok(sub) => walk(&sub, cutoff, extensions, removed, before_dir, depth + 1),
                        Err(_) => removed.symlinks_skipped += 1,
                    }
                }
                FileType::RegularFile
                    if stat.st_mtime < cutoff && matches_extension(&name, extensions) =>
                {
                    // unlinkat removes the entry itself; were it swapped for a symlink, the link
                    // would go, never its target.
                    match unlinkat(dir, name.as_os_str(), AtFlags::empty()) {
                        Ok(()) => {
                            removed.files += 1;
                            removed.bytes += u64::try_from(stat.st_size).unwrap_or(0);
                        }
                        Err(_) => removed.errors += 1,
                    }
                }
                _ => {}
            }
        }
    }

    fn matches_extension(name: &OsStr, extensions: &[String]) -> bool {
        extensions.is_empty()
            || extensions.iter().any(|e| {
                let e = e.trim_start_matches('.');
                Path::new(name)
                    .extension()
                    .is_some_and(|x| x.as_encoded_bytes().eq_ignore_ascii_case(e.as_bytes()))
            })
    }
}

/// Windows has no descriptor-relative `unlinkat` in Antrian yet, and a walk by path could
/// be led outside the roots by a junction swapped in mid-run: the job refuses to run there
/// rather than risk it.
#[cfg(not(unix))]
pub fn clean(
    _root: &Path,
    _inside: &Path,
    _cutoff: i64,
    _extensions: &[String],
    _before_dir: &mut dyn FnMut(&std::ffi::OsStr),
) -> Result<Removed, String> {
    Err(
        "cleanup-temp-files is not available on this platform: it removes files only \
         through directory descriptors (openat/unlinkat), which Antrian uses on Linux and \
         macOS"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots() -> Vec<PathBuf> {
        vec![
            PathBuf::from("/var/tmp/antrian"),
            PathBuf::from("/srv/uploads"),
        ]
    }

    #[test]
    fn paths_are_checked_before_anything_is_opened() {
        assert_eq!(
            resolve(&roots(), "./temp"),
            Ok((PathBuf::from("/var/tmp/antrian"), PathBuf::from("temp")))
        );
        assert_eq!(
            resolve(&roots(), "/srv/uploads/temp"),
            Ok((PathBuf::from("/srv/uploads"), PathBuf::from("temp")))
        );
        let err = |raw: &str| resolve(&roots(), raw).err().unwrap_or_default();
        assert!(err("../etc").contains("contains `..`"));
        assert!(err("temp/../../etc").contains("contains `..`"));
        assert!(err("/etc").contains("outside the allowed roots"));
        assert!(err("/srv/uploadsX/a").contains("outside the allowed roots"));
        assert!(err("a\0b").contains("NUL byte"));
    }
}
