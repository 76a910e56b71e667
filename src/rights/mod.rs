//! Data rights: everything Chorus holds about a person, as one JSON document (the export).
//! Erasure and consent renewal are still to come (issue 8).

pub mod export;
