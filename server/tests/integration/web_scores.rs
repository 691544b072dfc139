//! Scores, rankings, bulletins and notices pages.
