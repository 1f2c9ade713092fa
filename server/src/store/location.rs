//! Where a store lives, as the command line names it: a data folder (SQLite) or a
//! `postgres://` URL (docs/server.md, "PostgreSQL").

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr as _;

use sqlx::postgres::PgConnectOptions;

/// A store's location.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database in this data folder.
    Sqlite(PathBuf),
    /// A PostgreSQL database at this URL (which may hold a password: see [`Location`]'s
    /// `Display`, which leaves it out).
    Postgres(String),
}

/// A location that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    /// A URL of a database hush-server does not support.
    #[error(
        "unsupported database URL scheme {0:?}: hush-server stores data in SQLite (give a data folder) or PostgreSQL (postgres://USER@HOST:PORT/DATABASE)"
    )]
    Scheme(String),
    /// A `postgres://` URL that does not parse.
    #[error("the database URL is not a valid postgres:// URL")]
    Url(#[source] sqlx::Error),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; any other `scheme://` is refused; anything
    /// else is a data folder.
    pub fn parse(text: &str) -> Result<Self, LocationError> {
        match text.split_once("://") {
            Some(("postgres" | "postgresql", _)) => Self::postgres(text),
            Some((scheme, _))
                if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+') =>
            {
                Err(LocationError::Scheme(scheme.to_owned()))
            }
            _ => Ok(Self::Sqlite(PathBuf::from(text))),
        }
    }

    /// A PostgreSQL location, checked to parse.
    pub fn postgres(url: &str) -> Result<Self, LocationError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            let scheme = url.split_once("://").map_or("(none)", |(scheme, _)| scheme);
            return Err(LocationError::Scheme(scheme.to_owned()));
        }
        PgConnectOptions::from_str(url).map_err(LocationError::Url)?;
        Ok(Self::Postgres(url.to_owned()))
    }

    /// Whether a URL carries a password (which then shows in `ps` if given as an argument).
    pub fn has_password(&self) -> bool {
        match self {
            Self::Sqlite(_) => false,
            Self::Postgres(url) => url::Url::parse(url).ok().is_some_and(|url| url.password().is_some()),
        }
    }
}

/// For messages and logs: the folder, or the URL's host, port and database without user or
/// password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(dir) => write!(f, "{}", dir.display()),
            Self::Postgres(url) => match PgConnectOptions::from_str(url) {
                Ok(options) => write!(
                    f,
                    "postgres://{}:{}/{}",
                    options
                        .get_socket()
                        .map_or_else(|| options.get_host().to_owned(), |s| s.display().to_string()),
                    options.get_port(),
                    options.get_database().unwrap_or("")
                ),
                Err(_) => f.write_str("postgres://(invalid URL)"),
            },
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_urls_and_refusals() {
        assert_eq!(
            Location::parse("/var/lib/hush").expect("folder"),
            Location::Sqlite("/var/lib/hush".into())
        );
        assert_eq!(Location::parse("data").expect("folder"), Location::Sqlite("data".into()));
        let pg = Location::parse("postgres://hush:pw@db:5433/hush").expect("url");
        assert!(matches!(pg, Location::Postgres(_)));
        assert!(pg.has_password());
        assert!(!Location::parse("postgresql://hush@db/hush").expect("url").has_password());
        assert!(matches!(Location::parse("mysql://db/hush"), Err(LocationError::Scheme(s)) if s == "mysql"));
        assert!(matches!(Location::postgres("/var/lib/hush"), Err(LocationError::Scheme(_))));
    }

    #[test]
    fn display_never_shows_the_password() {
        let pg = Location::parse("postgres://hush:s3cret@db.example:5433/hush?sslmode=require").expect("url");
        assert_eq!(pg.to_string(), "postgres://db.example:5433/hush");
        assert!(!format!("{pg:?}").contains("s3cret"));
    }
}
