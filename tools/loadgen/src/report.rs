//! One run's results: parameters and figures, printed as a table and as one JSON line.

use serde_json::{Map, Value, json};

/// What a mode measured.
#[derive(Debug)]
pub(crate) struct Report {
    mode: &'static str,
    params: Vec<(String, Value)>,
    figures: Vec<Figure>,
}

#[derive(Debug)]
struct Figure {
    name: String,
    value: f64,
    unit: &'static str,
}

impl Report {
    pub(crate) fn new(mode: &'static str) -> Self {
        Self { mode, params: Vec::new(), figures: Vec::new() }
    }

    /// A setting of the run (session count, rate, codec…).
    pub(crate) fn param(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// A measured figure. `unit` is free text (`ms`, `µs`, `/s`, `KB`, `ratio`, …).
    pub(crate) fn figure(&mut self, name: impl Into<String>, value: f64, unit: &'static str) -> &mut Self {
        self.figures.push(Figure { name: name.into(), value, unit });
        self
    }

    /// `value / baseline`, or NaN when the baseline is zero.
    pub(crate) fn ratio(&mut self, name: impl Into<String>, value: f64, baseline: f64) -> &mut Self {
        let r = if baseline == 0.0 { f64::NAN } else { value / baseline };
        self.figure(name, r, "ratio")
    }

    /// The JSON line: `{"loadgen": mode, "params": {…}, "figures": {name: value}, "units": {…}}`.
    pub(crate) fn json(&self) -> Value {
        let params: Map<String, Value> = self.params.iter().cloned().collect();
        let mut figures = Map::new();
        let mut units = Map::new();
        for f in &self.figures {
            // JSON has no NaN; a missing figure is null.
            let v = serde_json::Number::from_f64(round(f.value)).map_or(Value::Null, Value::Number);
            figures.insert(f.name.clone(), v);
            units.insert(f.name.clone(), Value::from(f.unit));
        }
        let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        json!({ "loadgen": self.mode, "unix_time": unix, "params": params, "figures": figures, "units": units })
    }

    /// Prints the table, then the JSON line.
    pub(crate) fn print(&self) {
        println!("loadgen {}", self.mode);
        for (name, value) in &self.params {
            println!("  {name:<34} {value}");
        }
        println!("  {:-<60}", "");
        for f in &self.figures {
            println!("  {:<34} {:>14} {}", f.name, format_value(f.value), f.unit);
        }
        println!("{}", self.json());
    }
}

/// Three significant decimals are plenty for any figure here and keep the JSON line short.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "n/a".to_owned()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_holds_params_figures_and_units() {
        let mut r = Report::new("rest");
        r.param("concurrency", 8).figure("create_per_s", 1234.56789, "/s").ratio("vs_base", 1.0, 0.0);
        let j = r.json();
        assert_eq!(j["loadgen"], "rest");
        assert_eq!(j["params"]["concurrency"], 8);
        assert_eq!(j["figures"]["create_per_s"], 1234.568);
        assert_eq!(j["units"]["create_per_s"], "/s");
        assert!(j["figures"]["vs_base"].is_null(), "a ratio to a zero baseline is null, not a number");
    }
}
