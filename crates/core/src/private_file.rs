//! Files only their owner may read: the embedded Redis's password and config, the
//! dashboard's generated password, the desktop's password fallback file.
//!
//! On Unix the file is created with mode 0600. Windows has no mode bits: a file created
//! under the user's profile (where every such file of Antrian's lives) inherits the
//! profile's ACL, which already keeps other users out, so nothing more is set there.

use std::fs::OpenOptions;

/// `options`, made to create files only their owner can read or write.
pub fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}
