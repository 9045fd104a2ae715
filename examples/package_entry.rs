//! Writes the JavaScript package's entry module (`servicenow_connection.js`) and its declarations
//! (`servicenow_connection.d.ts`) into the directory given, from the crate's own code lists.
//! `scripts/build.sh` runs it after wasm-bindgen.
//!
//! wasm-bindgen exports functions and classes only; the error, field and Test Connection codes are
//! values (frozen objects whose keys are the codes themselves), so the entry module re-exports the
//! wasm-bindgen module and adds them. Written from `FieldCode::ALL`, `ErrorCode::NON_FIELD` and
//! `TestCode::ALL`, they are defined once, in Rust, and usable before the wasm is instantiated.

use std::fmt::Write as _;
use std::path::PathBuf;

use servicenow_connection::{ErrorCode, FieldCode, TestCode};

const CORE: &str = "./servicenow_connection_core.js";

fn table(codes: &[&str]) -> String {
    let mut out = String::from("Object.freeze({\n");
    for code in codes {
        let _ = writeln!(out, "  {code}: \"{code}\",");
    }
    out.push_str("})");
    out
}

fn union(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|code| format!("\"{code}\""))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_owned()));
    let field_codes: Vec<&str> = FieldCode::ALL.iter().map(|c| c.as_str()).collect();
    let other_codes: Vec<&str> = ErrorCode::NON_FIELD
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !field_codes.contains(c))
        .collect();
    let error_codes: Vec<&str> = field_codes.iter().chain(&other_codes).copied().collect();
    let test_codes: Vec<&str> = TestCode::ALL.iter().map(|c| c.as_str()).collect();

    let js = format!(
        r#"// The package's entry module, written by the build from the Rust crate: wasm-bindgen's module
// (functions and classes) plus the code tables, which are values.
export * from "{CORE}";
export {{ default }} from "{CORE}";

/** Every `code` a `ConnectionError` can carry, field codes included. */
export const errorCodes = {errors};

/** Every `code` of a `FieldError` (`validateConfig`, and errors with a `field`). */
export const fieldCodes = {fields};

/** Every `code` of a `TestResult`. */
export const testCodes = {tests};
"#,
        errors = table(&error_codes),
        fields = table(&field_codes),
        tests = table(&test_codes),
    );

    let dts = format!(
        r#"export * from "{CORE}";
export {{ default }} from "{CORE}";
import type {{ FieldError, FieldErrorCode, TestCode }} from "{CORE}";

/** Every `code` a `ConnectionError` can carry: the field codes and the operation codes. */
export type ErrorCode = FieldErrorCode | {other};

/** What every function of this package throws (or rejects with): a real `Error`. */
export interface ConnectionError extends Error {{
  name: "ConnectionError";
  code: ErrorCode;
  /** Whether trying again later, unchanged, can succeed. */
  retryable: boolean;
  /** The input field at fault, when there is one. */
  field?: string;
  /** The HTTP status the server answered with, when the failure came from an answer. */
  status?: number;
  /** The server's own description, shortened. */
  detail?: string;
  /** Seconds to wait before trying again, when the server said so. */
  retryAfterSeconds?: number;
  /** What to check or do about it, when the cause is known (such as the instance setting that refuses a grant). */
  hint?: string;
  /** For `invalid_config`: every field error. */
  errors?: FieldError[];
}}

/** Every `code` a `ConnectionError` can carry, field codes included. */
export declare const errorCodes: Readonly<{{ [K in ErrorCode]: K }}>;

/** Every `code` of a `FieldError`. */
export declare const fieldCodes: Readonly<{{ [K in FieldErrorCode]: K }}>;

/** Every `code` of a `TestResult`. */
export declare const testCodes: Readonly<{{ [K in TestCode]: K }}>;
"#,
        other = union(&other_codes),
    );

    std::fs::write(dir.join("servicenow_connection.js"), js)?;
    std::fs::write(dir.join("servicenow_connection.d.ts"), dts)
}
