//! Dashboard discovery (spec sections 1.2 and 6): which products exist and where their dashboards listen.
