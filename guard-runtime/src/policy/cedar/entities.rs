//! The application's entity data (who owns order 123, which tenant a user
//! belongs to), asked for once per batch and cached for it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use serde_json::Value;

use crate::registry::BoxFuture;

/// One entity a policy may read: its type and id (`Order::"123"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityRef {
    /// The entity type, e.g. `Order` or `Caller`.
    pub entity_type: String,
    /// The id, e.g. `123` or `alice`.
    pub id: String,
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{:?}", self.entity_type, self.id)
    }
}

/// Why entity data could not be loaded; the call is then refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entity data could not be loaded: {0}")]
pub struct EntityLoadError(pub String);

/// Supplies entity data for Cedar policies, in Cedar's entity JSON form:
/// `{"uid": {"type": "Order", "id": "123"}, "attrs": {"owner": {"__entity":
/// {"type": "Caller", "id": "alice"}}, "cents": 5000}, "parents": []}`.
///
/// guard asks for the call's principal (`Caller::"<user id, else agent
/// id>"`, whose attributes add to the built-in ones) and its resource (the
/// entity a `#[arg(resource = "Order")]` argument names). Entities the
/// loader does not know are left out of its answer; a policy that reads
/// them then fails, and a failing policy refuses the call. Answers are
/// cached for one batch.
///
/// ```
/// use guard_runtime::policy::{EntityLoadError, EntityLoader, EntityRef};
/// use guard_runtime::registry::BoxFuture;
/// use serde_json::{Value, json};
///
/// struct Orders;
///
/// impl EntityLoader for Orders {
///     fn load<'a>(&'a self, wanted: &'a [EntityRef]) -> BoxFuture<'a, Result<Vec<Value>, EntityLoadError>> {
///         Box::pin(async move {
///             Ok(wanted
///                 .iter()
///                 .filter(|e| e.entity_type == "Order")
///                 .map(|e| json!({"uid": {"type": "Order", "id": e.id},
///                                 "attrs": {"owner": {"__entity": {"type": "Caller", "id": "alice"}}},
///                                 "parents": []}))
///                 .collect())
///         })
///     }
/// }
/// ```
pub trait EntityLoader: Send + Sync + 'static {
    /// The entities of `wanted` that exist, as entity JSON.
    fn load<'a>(
        &'a self,
        wanted: &'a [EntityRef],
    ) -> BoxFuture<'a, Result<Vec<Value>, EntityLoadError>>;
}

/// What the loader said in one batch, by entity, and the Cedar entity sets
/// built from it, by resource (the caller is the same for the whole batch).
#[derive(Default)]
#[cfg_attr(not(feature = "cedar"), allow(dead_code))]
pub(crate) struct EntityCache(
    Mutex<HashMap<EntityRef, Option<Value>>>,
    #[cfg(feature = "cedar")] Mutex<HashMap<Option<EntityRef>, Option<cedar_policy::Entities>>>,
);

impl fmt::Debug for EntityCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntityCache").finish_non_exhaustive()
    }
}

#[cfg_attr(not(feature = "cedar"), allow(dead_code))]
impl EntityCache {
    /// Runs `use_it` on the entity set for `resource`, built by `build` the
    /// first time in this batch; `None` when it cannot be built.
    #[cfg(feature = "cedar")]
    pub(crate) fn with_built<T>(
        &self,
        resource: Option<EntityRef>,
        build: impl FnOnce() -> Option<cedar_policy::Entities>,
        use_it: impl FnOnce(&cedar_policy::Entities) -> T,
    ) -> Option<T> {
        let mut built = self.1.lock().unwrap_or_else(|e| e.into_inner());
        built
            .entry(resource)
            .or_insert_with(build)
            .as_ref()
            .map(use_it)
    }

    /// The entities asked for, from the cache or the loader (once per batch
    /// for each entity). A loader error fails the whole lookup.
    pub(crate) async fn get(
        &self,
        loader: Option<&dyn EntityLoader>,
        wanted: &[EntityRef],
    ) -> Result<Vec<Option<Value>>, EntityLoadError> {
        let missing: Vec<EntityRef> = {
            let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
            wanted
                .iter()
                .filter(|w| !cache.contains_key(*w))
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let loaded = match loader {
                Some(loader) => loader.load(&missing).await?,
                None => Vec::new(),
            };
            let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
            for entity in loaded {
                if let Some(uid) = uid_of(&entity)
                    && missing.contains(&uid)
                {
                    cache.insert(uid, Some(entity));
                }
            }
            for want in missing {
                cache.entry(want).or_insert(None);
            }
        }
        let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        Ok(wanted
            .iter()
            .map(|w| cache.get(w).cloned().flatten())
            .collect())
    }
}

#[cfg_attr(not(feature = "cedar"), allow(dead_code))]
fn uid_of(entity: &Value) -> Option<EntityRef> {
    let uid = entity.get("uid")?;
    Some(EntityRef {
        entity_type: uid.get("type")?.as_str()?.to_owned(),
        id: uid.get("id")?.as_str()?.to_owned(),
    })
}
