//! Message components (protocol.md §3.5): kept as the author sent them and checked only for
//! shape and count. Every component is an object with an integer `type`; a classic message has
//! at most 5 top-level action rows, an IS_COMPONENTS_V2 message at most 40 components in all
//! (nested ones count), and may not also use `content` or `embeds`.

use guildhall_model::message::Embed;
use serde_json::Value;

use crate::limits::{FormError, FormErrors, PathSegment, codes};

/// Top-level action rows of a classic message.
const CLASSIC_ROWS_MAX: usize = 5;
/// Components, nested ones included, of an IS_COMPONENTS_V2 message.
const V2_TOTAL_MAX: usize = 40;
/// The action row, the only top-level component of a classic message.
const ACTION_ROW: u64 = 1;

/// Discord's code when a components-v2 message also sets `content` or `embeds`.
const LEGACY_FIELDS_WITH_V2: &str = "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2";

fn top() -> Vec<PathSegment> {
    vec![PathSegment::field("components")]
}

/// Checks one component at `path` and, below it, its `components` and `accessory`; returns how
/// many components it holds (itself included).
fn walk(errors: &mut FormErrors, path: &[PathSegment], component: &Value) -> usize {
    let at_type = || {
        let mut p = path.to_vec();
        p.push(PathSegment::field("type"));
        p
    };
    let Some(object) = component.as_object() else {
        errors.push(FormError::required(&at_type()));
        return 1;
    };
    match object.get("type") {
        None | Some(Value::Null) => errors.push(FormError::required(&at_type())),
        Some(kind) if kind.as_u64().is_none() => {
            errors.push(FormError::new(at_type(), "NUMBER_TYPE_COERCE", format!("Value \"{kind}\" is not int.")));
        }
        Some(_) => {}
    }
    let mut count = 1;
    if let Some(children) = object.get("components").and_then(Value::as_array) {
        for (i, child) in children.iter().enumerate() {
            let mut p = path.to_vec();
            p.extend([PathSegment::field("components"), PathSegment::Index(i)]);
            count += walk(errors, &p, child);
        }
    }
    if let Some(accessory) = object.get("accessory") {
        let mut p = path.to_vec();
        p.push(PathSegment::field("accessory"));
        count += walk(errors, &p, accessory);
    }
    count
}

/// Checks `components` for a message that is (`v2`) or is not a components-v2 message.
pub(crate) fn validate(errors: &mut FormErrors, components: &[Value], v2: bool) {
    let mut total = 0;
    for (i, component) in components.iter().enumerate() {
        let path = vec![PathSegment::field("components"), PathSegment::Index(i)];
        total += walk(errors, &path, component);
        let kind = component.get("type").and_then(Value::as_u64);
        if !v2 && kind.is_some_and(|k| k != ACTION_ROW) {
            errors.push(FormError::new(
                vec![PathSegment::field("components"), PathSegment::Index(i), PathSegment::field("type")],
                codes::BASE_TYPE_CHOICES,
                "Value must be one of (1,).",
            ));
        }
    }
    if !v2 && components.len() > CLASSIC_ROWS_MAX {
        errors.push(FormError::new(
            top(),
            codes::BASE_TYPE_MAX_LENGTH,
            format!("Must be {CLASSIC_ROWS_MAX} or fewer in length."),
        ));
    }
    if v2 && total > V2_TOTAL_MAX {
        errors.push(FormError::new(
            top(),
            codes::BASE_TYPE_MAX_LENGTH,
            format!("Must be {V2_TOTAL_MAX} or fewer components in total."),
        ));
    }
}

/// A components-v2 message carries everything in its components: non-empty `content` or
/// `embeds` are refused, each at its field.
pub(crate) fn validate_v2_legacy(errors: &mut FormErrors, content: &str, embeds: &[Embed]) {
    for (field, used) in [("content", !content.is_empty()), ("embeds", !embeds.is_empty())] {
        if used {
            errors.push(FormError::new(
                vec![PathSegment::field(field)],
                LEGACY_FIELDS_WITH_V2,
                format!("The '{field}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes_at(components: &Value, v2: bool) -> Vec<(String, &'static str)> {
        let mut errors = FormErrors::new();
        validate(&mut errors, components.as_array().map_or(&[], Vec::as_slice), v2);
        errors
            .iter()
            .map(|e| (e.path().iter().map(ToString::to_string).collect::<Vec<_>>().join("."), e.code()))
            .collect()
    }

    #[test]
    fn shapes() {
        let row = json!({"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "a", "label": "A"}]});
        assert!(codes_at(&json!([row, row, row, row, row]), false).is_empty());
        assert_eq!(
            codes_at(&json!([row, row, row, row, row, row]), false),
            [("components".into(), "BASE_TYPE_MAX_LENGTH")]
        );
        assert_eq!(codes_at(&json!([5]), false), [("components.0.type".into(), "BASE_TYPE_REQUIRED")]);
        assert_eq!(codes_at(&json!([{"type": "1"}]), false), [("components.0.type".into(), "NUMBER_TYPE_COERCE")]);
        assert_eq!(
            codes_at(&json!([{"type": 1, "components": [{"style": 1}]}]), false),
            [("components.0.components.0.type".into(), "BASE_TYPE_REQUIRED")]
        );
        assert_eq!(
            codes_at(&json!([{"type": 10, "content": "x"}]), false),
            [("components.0.type".into(), "BASE_TYPE_CHOICES")]
        );
        // Components v2: any top-level type, 40 in all, accessories included.
        let section = json!({"type": 9, "components": [{"type": 10, "content": "x"}], "accessory": {"type": 11}});
        assert!(codes_at(&json!([section]), true).is_empty());
        let fourteen: Vec<Value> = (0..14).map(|_| section.clone()).collect();
        assert_eq!(codes_at(&json!(fourteen), true), [("components".into(), "BASE_TYPE_MAX_LENGTH")]);
        assert_eq!(
            codes_at(&json!([{"type": 9, "accessory": {"type": -1}}]), true),
            [("components.0.accessory.type".into(), "NUMBER_TYPE_COERCE")]
        );
    }
}
