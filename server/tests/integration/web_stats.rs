//! Statistics, calendars, timelines, monitoring and the portals.
