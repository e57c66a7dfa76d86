//! Pipeline-level tests: hoisting, stage interplay and cases from Loki's answers.
