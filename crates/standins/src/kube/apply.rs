//! Changing a stored object in place: JSON merge patch (RFC 7386, with the
//! `json-patch` crate) and server-side apply, simplified to what publishing
//! a ConfigMap needs.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::request::{status_body, Req, Target};
use super::state::State_;

type Answer = (StatusCode, Value);

impl State_ {
    pub(super) fn patch(&mut self, t: &Target, name: &str, req: &Req) -> Answer {
        let ct = req.content_type.split(';').next().unwrap_or("").trim();
        let patch = match Self::parse_body(&req.body) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let old = self.existing(t, name);
        if let Err(e) = Self::precondition(t, name, &patch, old.as_ref()) {
            return e;
        }
        match ct {
            "application/apply-patch+yaml" => self.apply(t, name, req, &patch, old),
            "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
                let Some(old) = old else {
                    return Self::not_found(t, name);
                };
                let mut new = old.clone();
                json_patch::merge(&mut new, &patch);
                if let Err(e) = Self::validate(t, name, &new) {
                    return e;
                }
                (StatusCode::OK, self.store(t, name, new, Some(&old)))
            }
            other => status_body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml, application/merge-patch+json (got `{other}`)"),
            ),
        }
    }

    /// Server-side apply, simplified to what publishing needs: the applied
    /// configuration's fields are set; `data` keys this field manager applied
    /// before and no longer applies are removed, other managers' keys stay.
    fn apply(
        &mut self,
        t: &Target,
        name: &str,
        req: &Req,
        applied: &Value,
        old: Option<Value>,
    ) -> Answer {
        let manager = match apply_manager(t, name, req, applied) {
            Ok(m) => m,
            Err(e) => return e,
        };
        let applied_keys: BTreeSet<String> = applied
            .get("data")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut new = old.clone().unwrap_or_else(|| json!({}));
        let mut managers: Vec<Value> = new
            .pointer("/metadata/managedFields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        drop_unapplied_keys(&mut new, &managers, manager, &applied_keys);
        merge_applied(&mut new, applied, name);
        managers.retain(|m| m.get("manager").and_then(Value::as_str) != Some(manager));
        let f_data: Map<String, Value> = applied_keys
            .iter()
            .map(|k| (format!("f:{k}"), json!({})))
            .collect();
        managers.push(json!({
            "manager": manager,
            "operation": "Apply",
            "apiVersion": t.res.api_version(),
            "time": "2024-01-01T00:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": f_data},
        }));
        new["metadata"]["managedFields"] = Value::Array(managers);
        if let Err(e) = Self::validate(t, name, &new) {
            return e;
        }
        let code = if old.is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        (code, self.store(t, name, new, old.as_ref()))
    }
}

/// The field manager of an apply request, once the request is checked:
/// a manager is named, and the applied object names this resource and the
/// name on the URL.
fn apply_manager<'r>(
    t: &Target,
    name: &str,
    req: &'r Req,
    applied: &Value,
) -> Result<&'r str, Answer> {
    let Some(manager) = req.query.get("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(status_body(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    };
    let api_version = applied.get("apiVersion").and_then(Value::as_str);
    let kind = applied.get("kind").and_then(Value::as_str);
    if api_version != Some(t.res.api_version().as_str()) || kind != Some(t.res.kind) {
        return Err(status_body(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "apply patch must name apiVersion `{}` and kind `{}`",
                t.res.api_version(),
                t.res.kind
            ),
        ));
    }
    if applied.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
        return Err(status_body(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the name of the object does not match the name on the URL",
        ));
    }
    Ok(manager)
}

/// Removes the `data` keys `manager` applied before and no longer applies.
fn drop_unapplied_keys(
    obj: &mut Value,
    managers: &[Value],
    manager: &str,
    applied_keys: &BTreeSet<String>,
) {
    let before: Vec<String> = managers
        .iter()
        .filter(|m| m.get("manager").and_then(Value::as_str) == Some(manager))
        .filter_map(|m| m.pointer("/fieldsV1/f:data").and_then(Value::as_object))
        .flat_map(|d| {
            d.keys()
                .filter_map(|k| k.strip_prefix("f:"))
                .map(str::to_owned)
        })
        .collect();
    if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
        for k in before.iter().filter(|k| !applied_keys.contains(*k)) {
            data.remove(k);
        }
    }
}

/// Sets the applied configuration's fields on `obj`: everything but
/// `metadata` merged, and of `metadata` the labels and annotations (added to
/// what is there) and the name.
fn merge_applied(obj: &mut Value, applied: &Value, name: &str) {
    let mut applied_no_meta = applied.clone();
    let applied_meta = applied_no_meta
        .as_object_mut()
        .and_then(|o| o.remove("metadata"));
    json_patch::merge(obj, &applied_no_meta);
    let Some(Value::Object(am)) = applied_meta else {
        return;
    };
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    for field in ["labels", "annotations"] {
        let Some(Value::Object(src)) = am.get(field) else {
            continue;
        };
        let dst = obj["metadata"]
            .as_object_mut()
            .map(|m| m.entry(field).or_insert_with(|| json!({})));
        if let Some(Value::Object(dst)) = dst {
            for (k, v) in src {
                dst.insert(k.clone(), v.clone());
            }
        }
    }
    obj["metadata"]["name"] = json!(name);
}
