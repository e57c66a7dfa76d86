//! Evaluation of metric queries: range and vector aggregations, binary operators.
