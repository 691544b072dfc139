// The calendar time left to a deadline, for the inbox rows' countdown. The working-day
// countdown of an item (ItemScreen.workingDaysLeft) is the core's; this is only a clock.
package cn.gov.duban.app.data

/** Time to a deadline in whole days, hours and minutes; [overdue] when it has passed. */
data class Countdown(val overdue: Boolean, val days: Long, val hours: Long, val minutes: Long) {
    companion object {
        private const val MINUTE = 60_000L
        private const val HOUR = 60 * MINUTE
        private const val DAY = 24 * HOUR

        /** From the deadline and now, both in milliseconds since the epoch. */
        fun of(deadlineMs: Long, nowMs: Long): Countdown {
            val left = deadlineMs - nowMs
            val span = if (left < 0) -left else left
            return Countdown(
                overdue = left < 0,
                days = span / DAY,
                hours = span % DAY / HOUR,
                minutes = span % HOUR / MINUTE,
            )
        }
    }
}
