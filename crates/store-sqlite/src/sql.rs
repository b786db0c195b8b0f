//! A WHERE clause assembled from optional filters, with its parameters in order. Each distinct
//! combination of filters is its own SQL text, so each gets its own cached prepared statement.

use rusqlite::types::Value;

#[derive(Debug, Default, Clone)]
pub(crate) struct SqlFilter {
    conditions: Vec<&'static str>,
    values: Vec<Value>,
}

impl SqlFilter {
    /// Adds a condition; `value` fills its one `?`, if it has one.
    pub(crate) fn push(&mut self, condition: &'static str, value: Option<Value>) {
        self.conditions.push(condition);
        self.values.extend(value);
    }

    /// ` WHERE a AND b`, or nothing.
    pub(crate) fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Value> {
        self.values.iter()
    }
}
