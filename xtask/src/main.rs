//! Project chores (placeholder entry, filled in below).
fn main() {}
