//! Integration tests of extract-uj-records: one binary, one module per
//! concern.

mod audit;
mod forms;
mod kinds;
mod pipeline;
mod splunk_rows;
mod suite;
mod table;
