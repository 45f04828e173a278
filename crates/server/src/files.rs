//! Reading credentials and certificates from files named on the command
//! line. Everything is read once, at start, so a missing file stops the
//! server before it binds instead of failing the first request.

use std::path::{Path, PathBuf};

use crate::cli::Secret;

/// Why a file could not be used. Names the file, never its content.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FileError {
    /// The file cannot be read.
    #[error("cannot read the {what} file {}: {source}", path.display())]
    Unreadable {
        /// What the file was to hold, e.g. `password`.
        what: &'static str,
        /// The path as given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file holds nothing but whitespace.
    #[error("the {what} file {} is empty", path.display())]
    Empty {
        /// What the file was to hold.
        what: &'static str,
        /// The path as given.
        path: PathBuf,
    },
    /// A credential that is not UTF-8 text.
    #[error("the {what} file {} is not UTF-8 text", path.display())]
    NotText {
        /// What the file was to hold.
        what: &'static str,
        /// The path as given.
        path: PathBuf,
    },
}

/// A one-line credential: the file's text without its trailing line
/// break(s), the way `echo secret > file` and editors leave it. Other
/// whitespace is kept, since it may be part of a password; a file of
/// nothing but whitespace is an error rather than an empty credential.
pub(crate) fn read_secret(path: &Path, what: &'static str) -> Result<Secret, FileError> {
    let bytes = read(path, what)?;
    let text = String::from_utf8(bytes).map_err(|_| FileError::NotText {
        what,
        path: path.to_owned(),
    })?;
    let value = text.trim_end_matches(['\r', '\n']);
    if value.trim().is_empty() {
        return Err(FileError::Empty {
            what,
            path: path.to_owned(),
        });
    }
    Ok(Secret::from(value.to_owned()))
}

/// A PEM document, as bytes; the store checks its content.
pub(crate) fn read_pem(path: &Path, what: &'static str) -> Result<Vec<u8>, FileError> {
    let bytes = read(path, what)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty {
            what,
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, FileError> {
    std::fs::read(path).map_err(|source| FileError::Unreadable {
        what,
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, content: &[u8]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("backup-actuator-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn trailing_line_breaks_are_dropped_other_whitespace_kept() {
        let path = temp_file("lf", b" pass word \n");
        assert_eq!(
            read_secret(&path, "password").unwrap().expose(),
            " pass word "
        );
        let path = temp_file("crlf", b"token\r\n\r\n");
        assert_eq!(read_secret(&path, "token").unwrap().expose(), "token");
    }

    #[test]
    fn empty_file_is_an_error_naming_the_path() {
        let path = temp_file("empty", b"\n");
        let err = read_secret(&path, "auth token").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the auth token file {} is empty", path.display())
        );
    }

    #[test]
    fn unreadable_file_names_the_path_not_the_content() {
        let err = read_secret(Path::new("/nonexistent/pw"), "password").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("cannot read the password file /nonexistent/pw: "),
            "{message}"
        );
    }

    #[test]
    fn binary_secret_is_refused_without_echoing_it() {
        let path = temp_file("binary", b"\xff\xfe s3cr3t");
        let message = read_secret(&path, "password").unwrap_err().to_string();
        assert!(message.contains("not UTF-8"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
    }

    #[test]
    fn whitespace_only_pem_is_empty() {
        let path = temp_file("pem", b"  \n");
        assert!(matches!(
            read_pem(&path, "CA certificate"),
            Err(FileError::Empty { .. })
        ));
    }
}
