//! Log pipeline stages (one file per stage kind) and the pipeline builder.
