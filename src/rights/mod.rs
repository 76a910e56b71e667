//! Data rights: everything Chorus holds about a person as one JSON document (the export, inline or
//! mailed as an expiring link when large), erasure, consent to the current privacy policy, and
//! retention (what is kept only for a while).

pub mod consent;
pub mod erasure;
pub mod export;
pub mod mailed_export;
pub mod retention;
