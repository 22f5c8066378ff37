//! The layers configuration is read from, lowest first: defaults < `config.toml` < `.env` in
//! the working directory < the process environment. Each layer yields raw strings keyed by
//! the setting's environment variable, with where each came from; typing and range checks
//! happen once, afterwards, in [`super::Config::from_layers`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::settings::{self, Setting};
use crate::error::{Error, Result};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// Antrian's built-in default.
    Default,
    /// A line of the TOML configuration file.
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// The `.env` file in the working directory.
    DotEnv {
        /// The file.
        path: PathBuf,
    },
    /// The process environment.
    Environment,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::DotEnv { path } => write!(f, "{}", path.display()),
            Origin::Environment => f.write_str("environment"),
        }
    }
}

/// Raw values by environment variable name, the highest layer winning.
pub(crate) type Layers = BTreeMap<&'static str, (String, Origin)>;

/// Where to look for configuration. [`LoadOptions::from_process`] is what the binaries use;
/// tests build one by hand so they never read the real environment.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// A file named with `--config`: it must exist.
    pub config_file: Option<PathBuf>,
    /// The per-user file (`$XDG_CONFIG_HOME/antrian/config.toml`): read when present.
    pub default_config_file: Option<PathBuf>,
    /// The `.env` file: read when present.
    pub dotenv_file: Option<PathBuf>,
    /// The environment variables to honour.
    pub env: HashMap<String, String>,
}

impl LoadOptions {
    /// Only these variables: no files, not the process environment (tests, embedding).
    pub fn from_vars<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            config_file: None,
            default_config_file: None,
            dotenv_file: None,
            env: vars
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The real process: its environment, `./.env`, and the per-user config file unless
    /// `config_file` names another one.
    pub fn from_process(config_file: Option<PathBuf>) -> Self {
        Self {
            config_file,
            default_config_file: Some(super::user_config_dir().join("config.toml")),
            dotenv_file: std::env::current_dir().ok().map(|d| d.join(".env")),
            env: std::env::vars().collect(),
        }
    }
}

/// Reads every layer in order and returns the merged raw values.
pub(crate) fn read_layers(opts: &LoadOptions) -> Result<Layers> {
    let mut layers = Layers::new();
    for s in settings::SETTINGS {
        if let Some(default) = s.default {
            layers.insert(s.env, (default.to_string(), Origin::Default));
        }
    }
    match (&opts.config_file, &opts.default_config_file) {
        (Some(path), _) => read_toml(path, &mut layers)?,
        (None, Some(path)) if path.exists() => read_toml(path, &mut layers)?,
        _ => {}
    }
    if let Some(path) = opts.dotenv_file.as_deref().filter(|p| p.exists()) {
        read_dotenv(path, &mut layers)?;
    }
    for s in settings::SETTINGS {
        if let Some(value) = opts.env.get(s.env) {
            put(&mut layers, s, value.clone(), Origin::Environment);
        }
    }
    Ok(layers)
}

/// An empty value means "not set here": `REDIS_PASSWORD=` in the seed's `.env` must not
/// override anything, and an empty number is not a number anyone meant.
fn put(layers: &mut Layers, s: &'static Setting, value: String, origin: Origin) {
    if !value.trim().is_empty() {
        layers.insert(s.env, (value.trim().to_string(), origin));
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn read_toml(path: &Path, layers: &mut Layers) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let syntax = |offset: usize, message: String| Error::ConfigSyntax {
        path: path.to_path_buf(),
        line: line_of(&text, offset),
        message,
    };
    let root = DeTable::parse(&text).map_err(|e| {
        syntax(
            e.span().map(|s| s.start).unwrap_or(0),
            e.message().trim().to_string(),
        )
    })?;
    for (section, value) in root.get_ref() {
        let unknown = |key: String| Error::UnknownConfigKey {
            path: path.to_path_buf(),
            line: line_of(&text, section.span().start),
            key,
        };
        let prefix = format!("{}.", section.get_ref());
        let known_section = settings::SETTINGS
            .iter()
            .any(|s| s.key.starts_with(&prefix));
        let Some(table) = value.get_ref().as_table().filter(|_| known_section) else {
            return Err(unknown(section.get_ref().to_string()));
        };
        for (key, value) in table {
            let dotted = format!("{}.{}", section.get_ref(), key.get_ref());
            let line = line_of(&text, key.span().start);
            let Some(setting) = settings::by_key(&dotted) else {
                return Err(Error::UnknownConfigKey {
                    path: path.to_path_buf(),
                    line,
                    key: dotted,
                });
            };
            let raw = match value.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| i.as_str().to_string()),
                DeValue::Float(f) => f.as_str().to_string(),
                DeValue::Boolean(b) => b.to_string(),
                other => {
                    return Err(syntax(
                        value.span().start,
                        format!(
                            "`{dotted}` must be a string, number or boolean, not {}",
                            other.type_str()
                        ),
                    ))
                }
            };
            put(
                layers,
                setting,
                raw,
                Origin::File {
                    path: path.to_path_buf(),
                    line,
                },
            );
        }
    }
    Ok(())
}

/// `.env` files are shared with other tools (the seed's Node.js services read the same
/// one), so variables Antrian does not know are ignored rather than rejected.
fn read_dotenv(path: &Path, layers: &mut Layers) -> Result<()> {
    let iter = dotenvy::from_path_iter(path).map_err(|e| Error::ConfigSyntax {
        path: path.to_path_buf(),
        line: 1,
        message: e.to_string(),
    })?;
    for item in iter {
        let (name, value) = item.map_err(|e| dotenv_error(path, e))?;
        if let Some(setting) = settings::by_env(&name) {
            put(
                layers,
                setting,
                value,
                Origin::DotEnv {
                    path: path.to_path_buf(),
                },
            );
        }
    }
    Ok(())
}

fn dotenv_error(path: &Path, e: dotenvy::Error) -> Error {
    match e {
        dotenvy::Error::LineParse(line_text, index) => {
            // dotenvy reports the text of the bad line, not its number: find it.
            let line = std::fs::read_to_string(path)
                .ok()
                .and_then(|t| t.lines().position(|l| l.contains(line_text.trim())))
                .map_or(1, |i| i + 1);
            Error::ConfigSyntax {
                path: path.to_path_buf(),
                line,
                message: format!("cannot parse `{}` at character {index}", line_text.trim()),
            }
        }
        dotenvy::Error::Io(source) => Error::ConfigUnreadable {
            path: path.to_path_buf(),
            source,
        },
        other => Error::ConfigSyntax {
            path: path.to_path_buf(),
            line: 1,
            message: other.to_string(),
        },
    }
}
