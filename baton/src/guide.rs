//! Getting started (placeholder while the guide is written).
