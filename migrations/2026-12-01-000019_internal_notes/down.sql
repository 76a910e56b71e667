DROP TABLE internal_notes;
