//! Reading tool arguments from JSON: types checked, unknown keys refused, every problem
//! an `INVALID_ARGUMENT` error naming the argument.

use attest_core::CoreError;
use attest_events::{Actor, Map, Value};
use attest_policy::PolicyArgs;

pub(crate) struct Args<'a> {
    tool: &'a str,
    m: &'a Map,
}

fn bad(msg: String) -> CoreError {
    CoreError::InvalidArgument(msg)
}

impl<'a> Args<'a> {
    pub(crate) fn new(tool: &'a str, v: &'a Value, allowed: &[&str]) -> Result<Args<'a>, CoreError> {
        let m = v.as_object().ok_or_else(|| bad(format!("{tool}: arguments must be an object")))?;
        if let Some(k) = m.keys().find(|k| !allowed.contains(k)) {
            return Err(bad(format!("{tool}: unknown argument `{k}`")));
        }
        Ok(Args { tool, m })
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.m.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, want: &str) -> CoreError {
        bad(format!("{}: `{key}` must be {want}", self.tool))
    }

    pub(crate) fn string(&self, key: &str) -> Result<String, CoreError> {
        self.opt_string(key)?.ok_or_else(|| bad(format!("{}: `{key}` is required", self.tool)))
    }

    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<String>, CoreError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    pub(crate) fn opt_value(&self, key: &str) -> Option<Value> {
        self.get(key).cloned()
    }

    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>, CoreError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(key, "a boolean")),
        }
    }

    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Result<bool, CoreError> {
        Ok(self.opt_bool(key)?.unwrap_or(default))
    }

    pub(crate) fn opt_int(&self, key: &str) -> Result<Option<i64>, CoreError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(_) => Err(self.wrong(key, "an integer")),
        }
    }

    pub(crate) fn usize_or(&self, key: &str, default: usize) -> Result<usize, CoreError> {
        match self.opt_int(key)? {
            None => Ok(default),
            Some(n) => usize::try_from(n).map_err(|_| self.wrong(key, "a non-negative integer")),
        }
    }

    pub(crate) fn opt_strings(&self, key: &str) -> Result<Option<Vec<String>>, CoreError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|x| x.as_str().map(str::to_owned).ok_or_else(|| self.wrong(key, "a list of strings")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.wrong(key, "a list of strings")),
        }
    }

    /// The actor: `{"type": "human"|"system", "id": non-empty}`.
    pub(crate) fn actor(&self, key: &str) -> Result<Actor, CoreError> {
        let v = self.get(key).ok_or_else(|| bad(format!("{}: `{key}` is required", self.tool)))?;
        let m = v.as_object().ok_or_else(|| self.wrong(key, "an object {\"type\", \"id\"}"))?;
        if let Some(k) = m.keys().find(|k| *k != "type" && *k != "id") {
            return Err(bad(format!("{}: unknown key `{key}.{k}`", self.tool)));
        }
        let kind = m
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| self.wrong(&format!("{key}.type"), "`human` or `system`"))?;
        let id = m
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| self.wrong(&format!("{key}.id"), "a non-empty string"))?;
        Actor::parse(kind, id).map_err(|e| bad(format!("{}: `{key}`: {e}", self.tool)))
    }

    /// The five policy arguments (+ `forbid_self_approval`); `None` when not passed.
    pub(crate) fn policy(&self) -> Result<PolicyArgs, CoreError> {
        Ok(PolicyArgs {
            min_approvals: self.opt_int("min_approvals")?,
            allowed_modes: self.opt_strings("allowed_modes")?,
            require_adapter_capabilities: self.opt_strings("require_adapter_capabilities")?,
            max_steps: self.opt_int("max_steps")?,
            labels: self.opt_strings("labels")?,
            forbid_self_approval: self.opt_bool("forbid_self_approval")?,
        })
    }
}
