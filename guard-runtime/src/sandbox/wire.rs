//! What travels between the agent and a worker: one JSON document per line.
//! The agent is the trusted side, so what it sends (the validators'
//! artifacts among it) is taken as checked; what a worker sends back is
//! bounded and read as untrusted text.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::layers::SandboxLayers;
use super::profile::SandboxProfile;
use crate::context::CallContext;
use crate::validate::{Argv, CheckedPath, CheckedSql, CheckedUrl, SqlDialect};
use crate::validate::{Artifact, Artifacts, CheckedArgs};

/// The first line a worker reads: how to lock itself down.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Setup {
    pub(crate) profile: SandboxProfile,
}

/// The line a worker writes once locked down.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Ready {
    pub(crate) enforced: SandboxLayers,
    pub(crate) missing: SandboxLayers,
}

/// One call.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Request {
    pub(crate) tool: String,
    pub(crate) arguments: Value,
    pub(crate) artifacts: Vec<(String, Vec<WireArtifact>)>,
    pub(crate) context: WireContext,
}

/// Its answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Reply {
    Ok(String),
    Error(String),
    Unserializable,
    Panicked,
    /// The arguments did not bind to the tool (never expected: the agent
    /// bound them first).
    Invalid(String),
    UnknownTool,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct WireContext {
    agent: String,
    user: Option<String>,
    session: Option<String>,
    roles: Vec<String>,
}

impl WireContext {
    pub(crate) fn from_context(ctx: &CallContext) -> Self {
        WireContext {
            agent: ctx.agent_id().to_owned(),
            user: ctx.user_id().map(str::to_owned),
            session: ctx.session_id().map(str::to_owned),
            roles: ctx.role_names().map(str::to_owned).collect(),
        }
    }

    pub(crate) fn into_context(self) -> CallContext {
        let mut ctx = CallContext::new(self.agent);
        if let Some(user) = self.user {
            ctx = ctx.user(user);
        }
        if let Some(session) = self.session {
            ctx = ctx.session(session);
        }
        if !self.roles.is_empty() {
            ctx = ctx.roles(self.roles);
        }
        ctx
    }
}

/// A validator's artifact, as data.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WireArtifact {
    Path {
        relative: PathBuf,
        resolved: Option<PathBuf>,
        root: Option<PathBuf>,
    },
    Url {
        url: String,
        addresses: Vec<IpAddr>,
    },
    Sql {
        sql: String,
        dialect: SqlDialect,
        tables: Vec<String>,
        functions: Vec<String>,
    },
    Argv {
        words: Vec<String>,
        dir: Option<PathBuf>,
    },
    Checked,
}

impl WireArtifact {
    fn from_artifact(artifact: &Artifact) -> Self {
        match artifact {
            Artifact::Path(p) => WireArtifact::Path {
                relative: p.relative.clone(),
                resolved: p.resolved.clone(),
                root: p.root.clone(),
            },
            Artifact::Url(u) => WireArtifact::Url {
                url: u.url.as_str().to_owned(),
                addresses: u.addresses.clone(),
            },
            Artifact::Sql(s) => WireArtifact::Sql {
                sql: s.sql.clone(),
                dialect: s.dialect,
                tables: s.tables.clone(),
                functions: s.functions.clone(),
            },
            Artifact::Argv(a) => WireArtifact::Argv {
                words: a.words.clone(),
                dir: a.dir.clone(),
            },
            Artifact::Checked => WireArtifact::Checked,
        }
    }

    fn into_artifact(self) -> Result<Artifact, String> {
        Ok(match self {
            WireArtifact::Path {
                relative,
                resolved,
                root,
            } => Artifact::Path(CheckedPath {
                relative,
                resolved,
                root,
            }),
            WireArtifact::Url { url, addresses } => Artifact::Url(CheckedUrl {
                url: url.parse().map_err(|_| "a checked URL did not parse")?,
                addresses,
            }),
            WireArtifact::Sql {
                sql,
                dialect,
                tables,
                functions,
            } => Artifact::Sql(Box::new(CheckedSql {
                sql,
                dialect,
                tables,
                functions,
            })),
            WireArtifact::Argv { words, dir } => Artifact::Argv(Argv { words, dir }),
            WireArtifact::Checked => Artifact::Checked,
        })
    }
}

/// The artifacts of a call, as data.
pub(crate) fn artifacts_to_wire(checked: &CheckedArgs) -> Vec<(String, Vec<WireArtifact>)> {
    checked
        .0
        .iter()
        .map(|(name, artifacts)| {
            let list = artifacts
                .0
                .iter()
                .map(WireArtifact::from_artifact)
                .collect();
            ((*name).to_owned(), list)
        })
        .collect()
}

/// The artifacts again, keyed by the tool's own argument names.
pub(crate) fn artifacts_from_wire(
    wire: Vec<(String, Vec<WireArtifact>)>,
    names: &[&'static str],
) -> Result<CheckedArgs, String> {
    let mut checked = CheckedArgs::default();
    for (name, list) in wire {
        let Some(&name) = names.iter().find(|n| **n == name) else {
            return Err(format!("no argument `{name}`"));
        };
        let artifacts = list
            .into_iter()
            .map(WireArtifact::into_artifact)
            .collect::<Result<VecDeque<_>, _>>()?;
        checked.insert(name, Artifacts(artifacts));
    }
    Ok(checked)
}
