//! Simulated Codis dashboard (issue 3).
