//! Authorization on arguments with Cedar (feature `cedar`).
//!
//! The principal is the caller (`Caller::"<user id, else agent id>"`, with
//! `agent`, `roles`, `user`, `session` and the policy's `[cedar.caller]`
//! attributes), the action is the tool (`Action::"refund"`, in the groups
//! `Action::"risk:high"`, `Action::"source:LABEL"`, `Action::"sink:LABEL"`),
//! the resource is the entity a `#[arg(resource = "Order")]` argument
//! names, else `Tool::"refund"`, and the context holds the validated
//! arguments (`context.input`), the call's `risk`, `sources` and `sinks`.
//! Cedar runs after every other check of the call: `forbid` wins, and a
//! `permit` cannot relax a validator or an agent's deny list.

mod entities;
#[cfg(feature = "cedar")]
mod plan;
#[cfg(feature = "cedar")]
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub(crate) use entities::EntityCache;
pub use entities::{EntityLoadError, EntityLoader, EntityRef};
#[cfg(feature = "cedar")]
pub(crate) use plan::{CedarPlan, Refusal};

/// The `[cedar]` section of a policy file: `cedar = "policies.cedar"`, or
/// a table with `file` or inline `policies`, the application's entity types
/// (`schema` or `schema_file`, Cedar schema syntax) and `[cedar.caller]`
/// attributes the entity loader supplies for the principal.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CedarSection {
    pub(crate) file: Option<PathBuf>,
    pub(crate) policies: Option<String>,
    pub(crate) schema_file: Option<PathBuf>,
    pub(crate) schema: Option<String>,
    pub(crate) caller: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    file: Option<PathBuf>,
    policies: Option<String>,
    schema_file: Option<PathBuf>,
    schema: Option<String>,
    #[serde(default)]
    caller: BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for CedarSection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = CedarSection;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Cedar policy file's path or a [cedar] table")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CedarSection, E> {
                Ok(CedarSection {
                    file: Some(v.into()),
                    ..CedarSection::default()
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<CedarSection, A::Error> {
                let t = Table::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                if t.file.is_some() == t.policies.is_some() {
                    return Err(serde::de::Error::custom(
                        "give the policies as `file` or as inline `policies`, one of the two",
                    ));
                }
                if t.schema.is_some() && t.schema_file.is_some() {
                    return Err(serde::de::Error::custom(
                        "give the entity schema as `schema` or `schema_file`, not both",
                    ));
                }
                Ok(CedarSection {
                    file: t.file,
                    policies: t.policies,
                    schema_file: t.schema_file,
                    schema: t.schema,
                    caller: t.caller,
                })
            }
        }
        d.deserialize_any(Visit)
    }
}

impl CedarSection {
    /// Makes relative file names relative to the policy file's folder.
    pub(crate) fn rebase(&mut self, dir: &Path) {
        for file in [&mut self.file, &mut self.schema_file]
            .into_iter()
            .flatten()
        {
            if file.is_relative() {
                *file = dir.join(&*file);
            }
        }
    }
}
