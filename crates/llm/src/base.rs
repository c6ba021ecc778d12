//! Base URLs as users write them, normalised once at construction.

use reqwest::Url;

use crate::ConfigError;

/// A normalised base URL: no trailing slash, no query, http or https.
#[derive(Clone)]
pub(crate) struct Base {
    url: Url,
}

impl std::fmt::Debug for Base {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl Base {
    /// Parses `raw`, then strips any of `suffixes` (tried in order, one at most) from the end of
    /// the path — users paste full endpoints as often as bases. `empty_path` is used when the
    /// remaining path is empty.
    pub(crate) fn parse(raw: &str, suffixes: &[&str], empty_path: &str) -> Result<Base, ConfigError> {
        let raw = raw.trim();
        let invalid =
            |reason: &str| ConfigError::InvalidBaseUrl { url: Base::scrub_raw(raw), reason: reason.to_owned() };
        let mut url = Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("it has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a base URL cannot have a query or a fragment"));
        }
        let mut path = url.path().trim_end_matches('/').to_owned();
        for suffix in suffixes {
            if path.to_ascii_lowercase().ends_with(suffix) {
                path.truncate(path.len() - suffix.len());
                path = path.trim_end_matches('/').to_owned();
                break;
            }
        }
        if path.is_empty() {
            path = empty_path.to_owned();
        }
        url.set_path(&path);
        Ok(Base { url })
    }

    /// `{base}/{path}`; `path` is a fixed literal of ours, so joining cannot fail in practice.
    pub(crate) fn join(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        let joined = format!("{}/{}", url.path().trim_end_matches('/'), path.trim_start_matches('/'));
        url.set_path(&joined);
        url
    }

    /// For logs and `describe`: no credentials, no trailing slash.
    pub(crate) fn display(&self) -> String {
        let mut url = self.url.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.as_str().trim_end_matches('/').to_owned()
    }

    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// A raw string for an error message: user info (`user:pass@`) cut out, since the text did
    /// not even parse and may hold a secret.
    fn scrub_raw(raw: &str) -> String {
        match (raw.find("://"), raw.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}://…@{}", &raw[..scheme_end], &raw[at + 1..])
            }
            _ => raw.to_owned(),
        }
    }
}
