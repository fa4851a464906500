//! TODO(helper): see /work/helper-brief.md (issue 5).
