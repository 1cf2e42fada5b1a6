//! Paths: whatever the model writes must name something inside the root.
//!
//! The check is lexical first (no I/O): encodings a sloppy decoder chain
//! would undo, look-alike dots and slashes, absolute, drive, UNC, home and
//! scheme forms, NUL and control characters, and `..` that climbs above the
//! root are refused, each with its own code. With a root configured, the
//! longest existing prefix is then resolved through symlinks and must stay
//! inside the root.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, OnceLock};

use globset::{Glob, GlobSet, GlobSetBuilder};
use unicode_normalization::UnicodeNormalization;

use super::Violation;

/// Rules for a path argument.
///
/// ```
/// use guard_runtime::validate::PathPolicy;
///
/// let policy = PathPolicy::new().deny(["*.pem", ".env", ".git"]).unwrap();
/// assert!(policy.check("docs/guide.md").is_ok());
/// assert_eq!(policy.check("../../etc/passwd").unwrap_err().code, "path.traversal");
/// assert_eq!(policy.check("..%2f..%2fetc%2fpasswd").unwrap_err().code, "path.encoded");
/// assert_eq!(policy.check("keys/server.pem").unwrap_err().code, "path.denied");
/// ```
#[derive(Debug, Clone)]
pub struct PathPolicy {
    root: Option<PathBuf>,
    /// The root with its own symlinks resolved (and, on Linux, a handle on
    /// it), found once and shared by clones.
    canonical_root: Arc<OnceLock<Root>>,
    deny_patterns: Vec<String>,
    deny_names: GlobSet,
    deny_paths: GlobSet,
    extensions: Option<Vec<String>>,
    must_exist: bool,
    windows_rules: bool,
}

/// A root found on disk.
#[derive(Debug)]
struct Root {
    path: PathBuf,
    #[cfg(target_os = "linux")]
    handle: Option<std::os::fd::OwnedFd>,
}

impl PathPolicy {
    pub(crate) fn root_dir_path(&self) -> Option<&Path> {
        self.root.as_deref()
    }
}

impl Default for PathPolicy {
    fn default() -> Self {
        PathPolicy {
            root: None,
            canonical_root: Arc::default(),
            deny_patterns: Vec::new(),
            deny_names: GlobSet::empty(),
            deny_paths: GlobSet::empty(),
            extensions: None,
            must_exist: false,
            windows_rules: true,
        }
    }
}

/// A path that passed [`PathPolicy::check`].
///
/// To read or write it, prefer [`open`](Self::open) and
/// [`create`](Self::create) over `std::fs` on [`resolved`](Self::resolved):
/// they resolve every component again, beneath the root, as they open, so a
/// symlink swapped in after the check cannot lead outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPath {
    pub(crate) relative: PathBuf,
    pub(crate) resolved: Option<PathBuf>,
    pub(crate) root: Option<PathBuf>,
}

impl CheckedPath {
    /// The normalised path relative to the root (`a/./b/../c` → `a/c`).
    pub fn relative(&self) -> &Path {
        &self.relative
    }

    /// The path under the root, symlinks in its existing prefix resolved at
    /// check time; `None` when the policy has no root.
    pub fn resolved(&self) -> Option<&Path> {
        self.resolved.as_deref()
    }

    /// The root the path was checked against, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Opens the file for reading beneath the root, with no window between
    /// check and use (`openat2` with `RESOLVE_BENEATH` on Linux; cap-std's
    /// component-by-component checked resolution elsewhere).
    ///
    /// # Errors
    /// `NotFound`, `PermissionDenied` and the like; an escape attempt (a
    /// symlink out of the root) fails; `InvalidInput` when no root is set.
    pub fn open(&self) -> io::Result<File> {
        #[cfg(target_os = "linux")]
        return beneath::open_file(self.root_path()?, &self.relative, false);
        #[cfg(not(target_os = "linux"))]
        return Ok(self.root_dir()?.open(&self.relative)?.into_std());
    }

    /// Creates (or truncates) the file for writing beneath the root, with
    /// the same guarantee as [`open`](Self::open).
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn create(&self) -> io::Result<File> {
        #[cfg(target_os = "linux")]
        return beneath::open_file(self.root_path()?, &self.relative, true);
        #[cfg(not(target_os = "linux"))]
        return Ok(self.root_dir()?.create(&self.relative)?.into_std());
    }

    fn root_path(&self) -> io::Result<&Path> {
        self.root.as_deref().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the path policy has no root")
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn root_dir(&self) -> io::Result<cap_std::fs::Dir> {
        cap_std::fs::Dir::open_ambient_dir(self.root_path()?, cap_std::ambient_authority())
    }
}

impl PathPolicy {
    /// Lexical checks only, with no root on disk.
    pub fn new() -> Self {
        PathPolicy::default()
    }

    /// Resolves paths under `root`, through symlinks as the kernel follows
    /// them, and refuses any that end outside it.
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Some(root.into());
        self.canonical_root = Arc::default();
        self
    }

    /// Refuses paths matching any glob, in any letter case (case-insensitive
    /// file systems open `.ENV` for `.env`). A pattern without `/` matches a
    /// file or folder name at any depth (`.env`, `*.pem`, `.git`); one with
    /// `/` matches the whole relative path (`secrets/**`, which denies the
    /// folder `secrets` itself as well). With a root, the
    /// patterns are matched against where the path resolves as well as
    /// against the text.
    ///
    /// # Errors
    /// A pattern that is not a valid glob.
    pub fn deny<I, S>(mut self, patterns: I) -> Result<Self, globset::Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.deny_patterns
            .extend(patterns.into_iter().map(Into::into));
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        // Patterns and paths are compared lower-cased: globset keeps its
        // fast literal and extension strategies only for case-sensitive globs.
        let glob = |pattern: &str| Glob::new(&pattern.to_lowercase());
        for pattern in &self.deny_patterns {
            if pattern.contains('/') {
                paths.add(glob(pattern)?);
                // `secrets/**` denies the folder itself too (listing it).
                if let Some(folder) = pattern.strip_suffix("/**") {
                    paths.add(glob(folder)?);
                }
            } else {
                names.add(glob(pattern)?);
            }
        }
        self.deny_names = names.build()?;
        self.deny_paths = paths.build()?;
        Ok(self)
    }

    /// Only these file extensions (without the dot, case-insensitive).
    pub fn extensions<I, S>(mut self, extensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extensions = Some(
            extensions
                .into_iter()
                .map(|e| e.into().to_lowercase())
                .collect(),
        );
        self
    }

    pub(crate) fn extension_list(&self) -> Option<&[String]> {
        self.extensions.as_deref()
    }

    pub(crate) fn has_root(&self) -> bool {
        self.root.is_some()
    }

    /// The path must exist under the root.
    pub fn must_exist(mut self) -> Self {
        self.must_exist = true;
        self
    }

    /// Whether names that Windows and macOS file systems read as another
    /// name are refused (default: yes): NTFS streams (`.env::$DATA`),
    /// trailing dots and spaces (`.env.`), 8.3 short names (`GIT~1`),
    /// device names (`NUL`, `COM1`), and wildcards (`?`, `*`, `<`, `>`).
    pub fn windows_rules(mut self, on: bool) -> Self {
        self.windows_rules = on;
        self
    }

    /// Checks a path argument.
    ///
    /// With a root, the path is resolved as the kernel would: component by
    /// component, following each symlink where it stands (so
    /// `link/../x` climbs from the link's target, not from `link`'s
    /// folder). It must end inside the root; deny globs and the extension
    /// list then apply to where it ends.
    ///
    /// # Errors
    /// A [`Violation`] whose code names the rule: `path.empty`,
    /// `path.nul_byte`, `path.control_char`, `path.encoded`,
    /// `path.unicode_lookalike`, `path.absolute`, `path.drive`, `path.unc`,
    /// `path.home`, `path.scheme`, `path.traversal`, `path.dot_run`,
    /// `path.windows_name`, `path.wildcard`, `path.denied`,
    /// `path.extension`, `path.not_found`, `path.symlink_escape`,
    /// `path.symlink_loop`, `path.root_unavailable`.
    pub fn check(&self, value: &str) -> Result<CheckedPath, Violation> {
        let (relative, parts) = lexical(value, self.windows_rules, self.root.is_some())?;
        self.check_deny(&relative)?;
        let Some(root) = self.canonical_root()? else {
            self.check_extension(&relative)?;
            return Ok(CheckedPath {
                relative,
                resolved: None,
                root: None,
            });
        };
        let fast = self.resolve_beneath(&parts, &relative);
        let (resolved, exists) = match fast {
            Some(found) => found,
            None => walk(root, root.to_path_buf(), parts.iter().map(OsString::from))?,
        };
        let inside = resolved
            .strip_prefix(root)
            .map_err(|_| escape())?
            .to_path_buf();
        let inside = if inside.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            inside
        };
        if self.must_exist && !exists {
            return Err(Violation::new(
                "path.not_found",
                "no such file in the workspace",
            ));
        }
        // Where a link led elsewhere, the deny list applies there too.
        if inside != relative {
            self.check_deny(&inside)?;
        }
        self.check_extension(&inside)?;
        Ok(CheckedPath {
            relative: inside,
            resolved: Some(resolved),
            root: Some(root.to_path_buf()),
        })
    }

    /// Checks a path a program is handed as an operand, as the kernel will
    /// read it (no decoding, backslashes are plain characters): with a root,
    /// it must resolve inside it (an absolute path inside it is fine) and
    /// not match a deny glob; without one, it must be relative and not
    /// climb out.
    pub(crate) fn check_operand(&self, value: &str) -> Result<PathBuf, Violation> {
        if value.contains('\0') {
            return Err(Violation::new(
                "path.nul_byte",
                "the path contains a NUL byte",
            ));
        }
        if value.starts_with('~') {
            return Err(Violation::new(
                "path.home",
                "home-directory paths are not allowed",
            ));
        }
        let path = Path::new(value);
        let Some(root) = self.canonical_root()? else {
            if path.is_absolute() {
                return Err(Violation::new(
                    "path.absolute",
                    "the path must be relative to the workspace",
                ));
            }
            if climbs(path) {
                return Err(Violation::new(
                    "path.traversal",
                    "the path climbs above the workspace root",
                ));
            }
            return Ok(path.to_path_buf());
        };
        if !path.is_absolute() && !value.split('/').any(|p| p == "..") {
            // Without `..`, the lexical form is the kernel's unless a link
            // is on the way, which the one-call resolution finds.
            let parts: Vec<String> = value
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .map(str::to_owned)
                .collect();
            let relative: PathBuf = parts.iter().collect();
            if let Some((resolved, _)) = self.resolve_beneath(&parts, &relative) {
                let inside = resolved.strip_prefix(root).map_err(|_| escape())?;
                self.check_deny(inside)?;
                return Ok(resolved);
            }
        }
        let start = if path.is_absolute() {
            PathBuf::from("/")
        } else {
            root.to_path_buf()
        };
        let parts = path.components().filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        });
        let (resolved, _) = walk(root, start, parts).map_err(|v| {
            // Say what the text did when it leaves without help from a link.
            if v.code != "path.symlink_escape" {
                v
            } else if path.is_absolute() && !path.starts_with(root) {
                Violation::new("path.absolute", "the path is outside the workspace")
            } else if climbs(path) {
                Violation::new("path.traversal", "the path climbs above the workspace root")
            } else {
                v
            }
        })?;
        let inside = resolved.strip_prefix(root).map_err(|_| escape())?;
        self.check_deny(inside)?;
        Ok(resolved)
    }

    /// The root with its symlinks resolved, once; `None` without a root.
    pub(crate) fn root_dir(&self) -> Result<Option<PathBuf>, Violation> {
        Ok(self.canonical_root()?.map(Path::to_path_buf))
    }

    fn canonical_root(&self) -> Result<Option<&Path>, Violation> {
        let Some(root) = &self.root else {
            return Ok(None);
        };
        if let Some(found) = self.canonical_root.get() {
            return Ok(Some(&found.path));
        }
        let path = root.canonicalize().map_err(|_| {
            Violation::new(
                "path.root_unavailable",
                "the workspace root is not available",
            )
        })?;
        let found = self.canonical_root.get_or_init(|| Root {
            #[cfg(target_os = "linux")]
            handle: beneath::open_root(&path),
            path,
        });
        Ok(Some(&found.path))
    }

    /// The kernel resolves the whole path beneath the root in one call
    /// (`openat2` with `RESOLVE_BENEATH`). Without a link on the way, where
    /// it ends is the lexical path; through links, the kernel names where it
    /// ended. Anything else (an absolute link, an escape, a loop) is decided
    /// by [`walk`], which gives the exact reason.
    #[cfg(target_os = "linux")]
    fn resolve_beneath(&self, parts: &[String], relative: &Path) -> Option<(PathBuf, bool)> {
        let root = self.canonical_root.get()?;
        beneath::resolve(root.handle.as_ref()?, &root.path, parts, relative)
    }

    #[cfg(not(target_os = "linux"))]
    fn resolve_beneath(&self, _parts: &[String], _relative: &Path) -> Option<(PathBuf, bool)> {
        None
    }

    fn check_deny(&self, relative: &Path) -> Result<(), Violation> {
        if self.deny_patterns.is_empty() {
            return Ok(());
        }
        let lowered;
        let relative = match relative.to_str() {
            Some(text) if text.chars().any(char::is_uppercase) => {
                lowered = PathBuf::from(text.to_lowercase());
                lowered.as_path()
            }
            Some(_) => relative,
            None => {
                lowered = PathBuf::from(relative.to_string_lossy().to_lowercase());
                lowered.as_path()
            }
        };
        let names_hit = relative
            .components()
            .any(|c| self.deny_names.is_match(Path::new(c.as_os_str())));
        if names_hit || self.deny_paths.is_match(relative) {
            return Err(Violation::new(
                "path.denied",
                "this path matches a denied pattern",
            ));
        }
        Ok(())
    }

    fn check_extension(&self, relative: &Path) -> Result<(), Violation> {
        if let Some(allowed) = &self.extensions {
            let ext = relative
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase)
                .unwrap_or_default();
            if !allowed.contains(&ext) {
                return Err(Violation::new(
                    "path.extension",
                    format!("only these extensions are allowed: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod beneath {
    use std::ffi::OsString;
    use std::fs::File;
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::ffi::OsStringExt;
    use std::path::{Path, PathBuf};

    use rustix::fs::{CWD, Mode, OFlags, ResolveFlags, openat2, readlinkat};
    use rustix::io::Errno;

    pub(super) fn open_root(root: &Path) -> Option<OwnedFd> {
        rustix::fs::open(
            root,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()
    }

    /// Opens `relative` beneath `root` for reading, or creates (truncates)
    /// it for writing: the kernel refuses any step out of the root, through
    /// `..` or a link, and magic links.
    pub(super) fn open_file(root: &Path, relative: &Path, write: bool) -> std::io::Result<File> {
        let dir = rustix::fs::open(
            root,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let (flags, mode) = if write {
            (
                OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC,
                Mode::from_raw_mode(0o666),
            )
        } else {
            (OFlags::RDONLY, Mode::empty())
        };
        let fd = openat2(
            &dir,
            relative,
            flags | OFlags::CLOEXEC | OFlags::NOCTTY,
            mode,
            ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
        )?;
        Ok(File::from(fd))
    }

    pub(super) fn resolve(
        root_fd: &OwnedFd,
        root: &Path,
        parts: &[String],
        relative: &Path,
    ) -> Option<(PathBuf, bool)> {
        let joined = if parts.is_empty() {
            ".".to_owned()
        } else {
            parts.join("/")
        };
        let open = |resolve: ResolveFlags| {
            openat2(
                root_fd,
                joined.as_str(),
                OFlags::PATH | OFlags::CLOEXEC,
                Mode::empty(),
                resolve | ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
            )
        };
        // No link anywhere on the way: the kernel ends where the text does.
        // A missing component stops the walk before any later one could be
        // a link, so the rest joins as written.
        match open(ResolveFlags::NO_SYMLINKS) {
            Ok(_) => return Some((root.join(relative), true)),
            Err(Errno::NOENT | Errno::NOTDIR) => return Some((root.join(relative), false)),
            Err(Errno::LOOP) => {}
            Err(_) => return None,
        }
        // Through links: ask the kernel where the open handle points.
        let fd = open(ResolveFlags::empty()).ok()?;
        let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let target = readlinkat(CWD, link.as_str(), Vec::new()).ok()?;
        let resolved = PathBuf::from(OsString::from_vec(target.into_bytes()));
        resolved.starts_with(root).then_some((resolved, true))
    }
}

/// Whether the path's `..` climb above where it starts, read as text.
fn climbs(path: &Path) -> bool {
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::ParentDir if depth == 0 => return true,
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    false
}

/// Links followed in one resolution before it counts as a loop (Linux's
/// limit, MAXSYMLINKS).
const MAX_LINKS: usize = 40;

fn escape() -> Violation {
    Violation::new(
        "path.symlink_escape",
        "this path leads outside the workspace through a link",
    )
}

/// Resolves `parts` from `start` the way the kernel's path walk does: each
/// component in order, a symlink replaced by its target where it stands
/// (an absolute target restarts from `/`), `..` taken from wherever the walk
/// is. Past the first missing component the rest is joined as written.
/// Returns the resolved absolute path and whether it exists.
fn walk(
    root: &Path,
    start: PathBuf,
    parts: impl Iterator<Item = OsString>,
) -> Result<(PathBuf, bool), Violation> {
    let mut pending: VecDeque<OsString> = parts.collect();
    let mut current = start;
    let mut exists = true;
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        if part == "." || part.is_empty() {
            continue;
        }
        if part == ".." {
            current.pop();
            continue;
        }
        let next = current.join(&part);
        if !exists {
            current = next;
            continue;
        }
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Violation::new(
                        "path.symlink_loop",
                        "the path follows too many links",
                    ));
                }
                let target = std::fs::read_link(&next).map_err(|_| escape())?;
                if target.is_absolute() {
                    current = PathBuf::from("/");
                }
                for component in target.components().rev() {
                    match component {
                        Component::Normal(p) => pending.push_front(p.to_os_string()),
                        Component::ParentDir => pending.push_front(OsString::from("..")),
                        _ => {}
                    }
                }
            }
            Ok(_) => current = next,
            Err(_) => {
                exists = false;
                current = next;
            }
        }
    }
    if !current.starts_with(root) {
        return Err(escape());
    }
    Ok((current, exists))
}

/// Longer paths and names exist on no common file system (PATH_MAX,
/// NAME_MAX); padding past them is a truncation attack.
const MAX_PATH_BYTES: usize = 4096;
const MAX_NAME_BYTES: usize = 255;

/// Dots and slashes that are not ASCII but read (or decode) as `.`, `/` or `\`.
fn is_lookalike(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    matches!(
        c,
        '\u{2215}'
            | '\u{2044}'
            | '\u{29F8}'
            | '\u{29F5}'
            | '\u{2216}'
            | '\u{2571}'
            | '\u{2572}'
            | '\u{3002}'
            | '\u{FF61}'
            | '\u{2E31}'
            | '\u{2024}'
            | '\u{00B7}'
    ) || c.to_string().nfkc().any(|n| matches!(n, '.' | '/' | '\\'))
}

/// Bytes a decoder chain would produce from `%XX`, `%uXXXX` and `0xXX`
/// escapes that matter for traversal: any dot, separator, percent (double
/// encoding), colon, tilde, control (NUL, newline) or non-ASCII (over-long
/// UTF-8) byte.
fn has_dangerous_escape(value: &str) -> bool {
    let bytes = value.as_bytes();
    let dangerous =
        |b: u32| matches!(b, 0x2E | 0x2F | 0x5C | 0x25 | 0x3A | 0x7E) || !(0x20..0x80).contains(&b);
    let hex = |s: &[u8]| -> Option<u32> {
        std::str::from_utf8(s)
            .ok()
            .and_then(|s| u32::from_str_radix(s, 16).ok())
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if bytes.get(i + 1).is_some_and(|b| *b == b'u' || *b == b'U') => {
                if let Some(code) = bytes.get(i + 2..i + 6).and_then(hex) {
                    if dangerous(code) {
                        return true;
                    }
                    i += 6;
                    continue;
                }
            }
            b'%' => {
                if let Some(code) = bytes.get(i + 1..i + 3).and_then(hex) {
                    if dangerous(code) {
                        return true;
                    }
                    i += 3;
                    continue;
                }
            }
            b'0' if bytes.get(i + 1).is_some_and(|b| *b == b'x' || *b == b'X') => {
                if let Some(code) = bytes.get(i + 2..i + 4).and_then(hex)
                    && matches!(code, 0x2E | 0x2F | 0x5C)
                {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Undoes what a decoder chain might: `%XX` layers (`%252e` is `%2e` is `.`,
/// `%%35%63` is `%5c`), checking each layer for dangerous escapes.
fn is_encoded(value: &str) -> bool {
    let mut layer = value.to_owned();
    for _ in 0..4 {
        if has_dangerous_escape(&layer) {
            return true;
        }
        let decoded = percent_encoding::percent_decode_str(&layer)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == layer {
            return false;
        }
        layer = decoded;
    }
    true
}

/// `..2f`, `..%`, `..;`, `..0x`: a dot-dot glued to the remains of an
/// encoded separator or a path parameter, which some servers read as `..`.
fn is_glued_dot_dot(part: &str) -> bool {
    let Some(rest) = part.strip_prefix("..") else {
        return false;
    };
    let rest = rest.to_ascii_lowercase();
    rest.starts_with(';')
        || rest.starts_with("2f")
        || rest.starts_with("5c")
        || rest.starts_with("0x")
        || rest.starts_with("c0")
        || rest.starts_with("e0")
        || rest.starts_with('%')
}

/// Names Windows opens as a device whatever folder they are in.
fn is_device_name(part: &str) -> bool {
    let stem = part.split('.').next().unwrap_or(part).trim_end().as_bytes();
    let is = |name: &[u8]| stem.eq_ignore_ascii_case(name);
    match stem.len() {
        3 => is(b"CON") || is(b"PRN") || is(b"AUX") || is(b"NUL"),
        4 => {
            (stem[..3].eq_ignore_ascii_case(b"COM") || stem[..3].eq_ignore_ascii_case(b"LPT"))
                && matches!(stem[3], b'1'..=b'9')
        }
        6 => is(b"CONIN$"),
        7 => is(b"CONOUT$"),
        _ => false,
    }
}

/// `GIT~1`, `PROGRA~1.TXT`: an 8.3 short name, which Windows opens as the
/// long name it abbreviates.
fn is_short_name(part: &str) -> bool {
    let (stem, ext) = part.split_once('.').unwrap_or((part, ""));
    let Some((base, number)) = stem.rsplit_once('~') else {
        return false;
    };
    (1..=6).contains(&base.len())
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && ext.len() <= 3
}

/// The name rules of Windows and macOS file systems: what they would open
/// as another name.
fn windows_name(part: &str) -> Result<(), Violation> {
    if part.contains(['*', '?', '<', '>', '"', '|']) {
        return Err(Violation::new(
            "path.wildcard",
            "the path contains a wildcard; name one file",
        ));
    }
    if part.contains(':')
        || part.ends_with('.')
        || part.ends_with(' ')
        || is_short_name(part)
        || is_device_name(part)
    {
        return Err(Violation::new(
            "path.windows_name",
            "the name reads as another file on Windows or macOS (stream, trailing dot or space, short or device name)",
        ));
    }
    Ok(())
}

/// The lexical rules; returns the normalised relative path and the parts
/// as written (`..` kept), for the resolver to walk.
fn lexical(
    value: &str,
    windows_rules: bool,
    keep_parts: bool,
) -> Result<(PathBuf, Vec<String>), Violation> {
    if value.is_empty() {
        return Err(Violation::new("path.empty", "the path is empty"));
    }
    if value.len() > MAX_PATH_BYTES {
        return Err(Violation::new(
            "path.too_long",
            "the path is longer than any file system allows",
        ));
    }
    if value.contains('\0') {
        return Err(Violation::new(
            "path.nul_byte",
            "the path contains a NUL byte",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Violation::new(
            "path.control_char",
            "the path contains a control character",
        ));
    }
    if is_encoded(value) {
        return Err(Violation::new(
            "path.encoded",
            "the path contains encoded dots, separators or bytes; send it decoded",
        ));
    }
    if value.chars().any(is_lookalike) {
        return Err(Violation::new(
            "path.unicode_lookalike",
            "the path contains a character that looks like a dot or slash",
        ));
    }
    // A backslash separates on Windows and in many decoders: treat it as one.
    let unified = value.replace('\\', "/");
    let bytes = unified.as_bytes();
    if unified.starts_with("//") {
        return Err(Violation::new(
            "path.unc",
            "network (UNC) paths are not allowed",
        ));
    }
    if unified.starts_with('/') {
        return Err(Violation::new(
            "path.absolute",
            "the path must be relative to the workspace",
        ));
    }
    if unified.starts_with('~') {
        return Err(Violation::new(
            "path.home",
            "home-directory paths are not allowed",
        ));
    }
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(Violation::new("path.drive", "drive paths are not allowed"));
    }
    if let Some(colon) = unified.find(':') {
        let scheme = &unified[..colon];
        if scheme.len() >= 2
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return Err(Violation::new(
                "path.scheme",
                "URLs and stream wrappers are not paths",
            ));
        }
    }
    let mut parts: Vec<&str> = Vec::new();
    let mut raw: Vec<String> = Vec::new();
    for part in unified.split('/') {
        if keep_parts && !matches!(part, "" | ".") {
            raw.push(part.to_owned());
        }
        // Windows drops trailing dots and spaces: `.. ` and `...` act like `..`.
        let dots = part.chars().filter(|c| *c == '.').count();
        let only_dots_spaces = part.chars().all(|c| c == '.' || c == ' ');
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(Violation::new(
                        "path.traversal",
                        "the path climbs above the workspace root",
                    ));
                }
            }
            _ if is_glued_dot_dot(part) => {
                return Err(Violation::new(
                    "path.encoded",
                    "the path contains an obfuscated `..` segment",
                ));
            }
            _ if only_dots_spaces && dots >= 2 => {
                return Err(Violation::new(
                    "path.dot_run",
                    "path segments made of dots are not allowed",
                ));
            }
            _ if part.len() > MAX_NAME_BYTES => {
                return Err(Violation::new(
                    "path.too_long",
                    "a file name in the path is longer than any file system allows",
                ));
            }
            _ => {
                if windows_rules {
                    windows_name(part)?;
                }
                parts.push(part)
            }
        }
    }
    if parts.is_empty() {
        return Ok((PathBuf::from("."), raw));
    }
    let relative: PathBuf = parts.iter().collect();
    debug_assert!(
        relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    );
    Ok((relative, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: &str) -> &'static str {
        match PathPolicy::new().check(value) {
            Ok(_) => "ok",
            Err(v) => v.code,
        }
    }

    #[test]
    fn each_rule_has_its_code() {
        let cases = [
            ("src/lib.rs", "ok"),
            ("docs/../README.md", "ok"),
            ("v1.2/notes..md", "ok"),
            ("100%.txt", "ok"),
            ("report%20final.pdf", "ok"),
            ("", "path.empty"),
            ("a\0b", "path.nul_byte"),
            ("a\nb", "path.control_char"),
            ("../etc/passwd", "path.traversal"),
            ("a/../../b", "path.traversal"),
            ("..\\..\\windows\\win.ini", "path.traversal"),
            ("/etc/passwd", "path.absolute"),
            ("~/.ssh/id_rsa", "path.home"),
            ("~root/.bashrc", "path.home"),
            ("C:\\boot.ini", "path.drive"),
            ("c:boot.ini", "path.drive"),
            ("\\\\server\\share\\x", "path.unc"),
            ("//server/share", "path.unc"),
            ("file:///etc/passwd", "path.scheme"),
            ("php://filter/resource=index.php", "path.scheme"),
            ("%2e%2e%2fetc%2fpasswd", "path.encoded"),
            ("%252e%252e%252fetc", "path.encoded"),
            ("..%c0%af..%c0%afetc", "path.encoded"),
            ("%u002e%u002e%u2215etc", "path.encoded"),
            ("..0x2f..0x2fetc/passwd", "path.encoded"),
            ("..%%35%63..%%35%63etc/shadow", "path.encoded"),
            ("%%32%65%%32%65/boot.ini", "path.encoded"),
            ("..2f..2fapache2flogs2ferror.log", "path.encoded"),
            ("..;/..;/etc/hosts", "path.encoded"),
            ("%0a/bin/cat%20/etc/passwd", "path.encoded"),
            ("．．／．．／etc/passwd", "path.unicode_lookalike"),
            ("..\u{2215}..\u{2215}etc", "path.unicode_lookalike"),
            ("....//....//etc/passwd", "path.dot_run"),
            (".../etc", "path.dot_run"),
            (".. /etc", "path.dot_run"),
        ];
        for (value, expected) in cases {
            assert_eq!(code(value), expected, "{value:?}");
        }
    }

    #[test]
    fn truncation_padding_is_refused() {
        assert_eq!(
            code(&format!("{}/../win.ini", "A".repeat(1000))),
            "path.too_long"
        );
        assert_eq!(code(&"a/".repeat(3000)), "path.too_long");
        assert_eq!(code(&format!("{}/x", "A".repeat(255))), "ok");
    }

    #[test]
    fn normalises_inside_the_root() {
        let checked = PathPolicy::new().check("a/./b/../c.txt").unwrap();
        assert_eq!(checked.relative(), Path::new("a/c.txt"));
        assert_eq!(checked.resolved(), None);
    }

    #[test]
    fn deny_globs_and_extensions() {
        let policy = PathPolicy::new()
            .deny([".env", "*.pem", ".git", "secrets/**"])
            .unwrap()
            .extensions(["md", "TXT"]);
        assert!(policy.check("docs/a.md").is_ok());
        assert!(policy.check("docs/B.txt").is_ok());
        for denied in ["config/.env", "keys/x.pem", ".git/config", "secrets/a.md"] {
            assert_eq!(
                policy.check(denied).unwrap_err().code,
                "path.denied",
                "{denied}"
            );
        }
        assert_eq!(
            policy.check("src/main.rs").unwrap_err().code,
            "path.extension"
        );
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let base = std::env::temp_dir().join(format!("guard-path-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/a.md"), "a").unwrap();
        std::fs::write(base.join("secret.txt"), "s").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&base, root.join("escape")).unwrap();
        let policy = PathPolicy::new().root(&root);
        let checked = policy.check("docs/a.md").unwrap();
        assert_eq!(
            checked.resolved().unwrap(),
            root.canonicalize().unwrap().join("docs/a.md")
        );
        assert!(policy.check("docs/new.md").is_ok());
        #[cfg(unix)]
        assert_eq!(
            policy.check("escape/secret.txt").unwrap_err().code,
            "path.symlink_escape"
        );
        // open() reads beneath the root.
        let mut text = String::new();
        std::io::Read::read_to_string(&mut checked.open().unwrap(), &mut text).unwrap();
        assert_eq!(text, "a");
        assert_eq!(
            policy
                .clone()
                .must_exist()
                .check("docs/missing.md")
                .unwrap_err()
                .code,
            "path.not_found"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    fn temp_tree(name: &str) -> (PathBuf, PathBuf) {
        let base = std::env::temp_dir().join(format!("guard-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        std::fs::create_dir_all(&root).unwrap();
        (base, root)
    }

    /// `vendor` is a link to `outside/a/b`: the kernel follows it before it
    /// takes the `..`, so `vendor/../../secret.txt` is `outside/secret.txt`,
    /// although the text alone normalises to `deep/secret.txt`.
    #[cfg(unix)]
    #[test]
    fn dot_dot_climbs_from_where_a_link_leads() {
        let (base, root) = temp_tree("order");
        std::fs::create_dir_all(root.join("deep/dir")).unwrap();
        std::fs::create_dir_all(base.join("outside/a/b")).unwrap();
        std::fs::write(base.join("outside/secret.txt"), "SECRET").unwrap();
        std::fs::write(root.join("deep/secret.txt"), "inside").unwrap();
        std::os::unix::fs::symlink(base.join("outside/a/b"), root.join("deep/dir/vendor")).unwrap();
        let raw = "deep/dir/vendor/../../secret.txt";
        assert_eq!(
            std::fs::read_to_string(root.join(raw)).unwrap(),
            "SECRET",
            "the kernel reads outside the root"
        );
        let policy = PathPolicy::new().root(&root);
        assert_eq!(policy.check(raw).unwrap_err().code, "path.symlink_escape");
        // Inside the root, the resolved path is what the kernel would open.
        std::os::unix::fs::symlink(root.join("deep/dir"), root.join("d")).unwrap();
        let checked = policy.check("d/../secret.txt").unwrap();
        assert_eq!(checked.relative(), Path::new("deep/secret.txt"));
        assert_eq!(
            std::fs::read_to_string(checked.resolved().unwrap()).unwrap(),
            "inside"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn deny_globs_apply_where_the_path_resolves() {
        let (base, root) = temp_tree("deny");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::create_dir_all(root.join("secrets")).unwrap();
        std::fs::write(root.join("secrets/key.txt"), "k").unwrap();
        std::fs::write(root.join("secrets/.env"), "e").unwrap();
        std::os::unix::fs::symlink("../secrets", root.join("docs/archive")).unwrap();
        std::os::unix::fs::symlink("secrets/.env", root.join("notes.txt")).unwrap();
        let policy = PathPolicy::new()
            .root(&root)
            .deny(["secrets/**", ".env"])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("docs/archive/key.txt")).unwrap(),
            "k"
        );
        for raw in ["docs/archive/key.txt", "notes.txt", "docs/archive"] {
            assert_eq!(policy.check(raw).unwrap_err().code, "path.denied", "{raw}");
        }
        assert!(policy.check("docs/readme.md").is_ok());
        // Where it resolves decides the extension too.
        let md = PathPolicy::new().root(&root).extensions(["txt"]);
        assert_eq!(md.check("notes.txt").unwrap_err().code, "path.extension");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn link_loops_and_absolute_links() {
        let (base, root) = temp_tree("loops");
        std::os::unix::fs::symlink("b", root.join("a")).unwrap();
        std::os::unix::fs::symlink("a", root.join("b")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::os::unix::fs::symlink(root.canonicalize().unwrap().join("real"), root.join("abs"))
            .unwrap();
        let policy = PathPolicy::new().root(&root);
        assert_eq!(policy.check("a/x").unwrap_err().code, "path.symlink_loop");
        assert_eq!(
            policy.check("etc/passwd").unwrap_err().code,
            "path.symlink_escape"
        );
        assert_eq!(
            policy.check("abs/new.txt").unwrap().relative(),
            Path::new("real/new.txt")
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn names_other_file_systems_read_as_another_name() {
        let policy = PathPolicy::new().deny([".env", ".git"]).unwrap();
        for (raw, expected) in [
            (".env::$DATA", "path.windows_name"),
            ("config/.env.", "path.windows_name"),
            (".env ", "path.windows_name"),
            ("GIT~1/config", "path.windows_name"),
            ("PROGRA~1.TXT", "path.windows_name"),
            ("logs/NUL", "path.windows_name"),
            ("com1.txt", "path.windows_name"),
            (".?/.?/boot.ini", "path.wildcard"),
            ("docs/*.md", "path.wildcard"),
            (".ENV", "path.denied"),
            (".Git/config", "path.denied"),
            ("docs/com10.txt", "ok"),
            ("v1.2/notes.md", "ok"),
            ("backup~/x", "ok"),
        ] {
            let got = match policy.check(raw) {
                Ok(_) => "ok",
                Err(v) => v.code,
            };
            assert_eq!(got, expected, "{raw:?}");
        }
        let posix = PathPolicy::new().windows_rules(false);
        assert!(posix.check("docs/a:b.txt").is_ok());
        assert!(posix.check("what?.md").is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn operands_are_read_as_the_kernel_reads_them() {
        let (base, root) = temp_tree("operand");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("sys")).unwrap();
        let policy = PathPolicy::new().root(&root);
        let canonical = root.canonicalize().unwrap();
        assert!(policy.check_operand("src").is_ok());
        assert!(policy.check_operand("src/../src/x").is_ok());
        assert!(
            policy
                .check_operand(canonical.join("src").to_str().unwrap())
                .is_ok()
        );
        // Backslashes and escapes are plain characters to the kernel.
        assert!(policy.check_operand("a\\..\\b").is_ok());
        assert!(policy.check_operand("%2e%2e").is_ok());
        for (raw, code) in [
            ("/etc/passwd", "path.absolute"),
            ("../x", "path.traversal"),
            ("sys/passwd", "path.symlink_escape"),
            ("~/.ssh", "path.home"),
            ("src/../../x", "path.traversal"),
        ] {
            assert_eq!(policy.check_operand(raw).unwrap_err().code, code, "{raw}");
        }
        let lexical = PathPolicy::new();
        assert!(lexical.check_operand("src/x").is_ok());
        assert_eq!(
            lexical.check_operand("/etc").unwrap_err().code,
            "path.absolute"
        );
        assert_eq!(
            lexical.check_operand("a/../../x").unwrap_err().code,
            "path.traversal"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }

    /// The check passes, then `docs` is swapped for a link out of the root:
    /// the resolved path now leads outside, but `open` refuses to follow.
    #[cfg(unix)]
    #[test]
    fn open_has_no_check_then_use_window() {
        let base = std::env::temp_dir().join(format!("guard-race-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(root.join("docs/a.md"), "inside").unwrap();
        std::fs::write(base.join("outside/a.md"), "SECRET").unwrap();
        let checked = PathPolicy::new().root(&root).check("docs/a.md").unwrap();

        std::fs::remove_dir_all(root.join("docs")).unwrap();
        std::os::unix::fs::symlink(base.join("outside"), root.join("docs")).unwrap();

        let leaked = std::fs::read_to_string(checked.resolved().unwrap()).unwrap();
        assert_eq!(leaked, "SECRET", "the race this guards against");
        assert!(
            checked.open().is_err(),
            "open followed a symlink out of the root"
        );
        assert!(checked.create().is_err());
        assert_eq!(
            std::fs::read_to_string(base.join("outside/a.md")).unwrap(),
            "SECRET"
        );
        std::fs::remove_dir_all(&base).unwrap();
    }
}
