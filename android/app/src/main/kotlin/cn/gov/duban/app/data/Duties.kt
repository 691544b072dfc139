// The codes the core gives duties, statuses and roles, named once for the screens. Which
// duty an item asks of whom is the core's rule; the app only maps codes to its buttons.
package cn.gov.duban.app.data

/** Duty codes (`DutyRow.duty`). */
object Duty {
    const val SUBMIT = "submit"
    const val APPROVE_REGISTRATION = "approve_registration"
    const val DISPATCH = "dispatch"
    const val RECEIVE = "receive"
    const val HANDLE = "handle"
    const val APPROVE_REPORT = "approve_report"
    const val REVIEW = "review"
    const val DECIDE_EXTENSION = "decide_extension"
    const val DECIDE_SUSPENSION = "decide_suspension"
    const val DECIDE_RESUMPTION = "decide_resumption"
    const val RATE = "rate"
    const val CLOSE = "close"

    /** Duties done in the supervision office's pages, not on the phone. */
    val officeOnly = setOf(SUBMIT, DISPATCH, CLOSE)
}

/** What waits for my approval, by the duty that asks it. */
enum class Approval(val duty: String) {
    Registration(Duty.APPROVE_REGISTRATION),
    Extension(Duty.DECIDE_EXTENSION),
    Suspension(Duty.DECIDE_SUSPENSION),
    Resumption(Duty.DECIDE_RESUMPTION),
    Report(Duty.APPROVE_REPORT),
    ;

    companion object {
        /** The approval a duty code asks for, if it is one. */
        fun of(duty: String): Approval? = entries.firstOrNull { it.duty == duty }
    }
}

/** Status codes the screens treat specially (`ItemRow.status`). */
object Status {
    const val SUSPENDED = "suspended"
}

/** Report codes (`ReportRow.kind`, `ReportRow.status`). */
object Report {
    const val PROGRESS = "progress"
    const val COMPLETION = "completion"
    const val PENDING_APPROVAL = "pending_approval"
}

/** Role codes (`Me.roles`). */
object Role {
    const val ADMIN = "admin"
    const val MAIN_LEADER = "main_leader"
    const val DEPUTY_LEADER = "deputy_leader"
    const val SUPERVISOR = "supervisor"
    const val INSPECTOR = "inspector"
    const val UNIT_HEAD = "unit_head"

    /** Leaders write instructions (批示). */
    val leaders = setOf(MAIN_LEADER, DEPUTY_LEADER)

    /** Those offered the registration of a problem found on site (the core decides). */
    val registrars = setOf(SUPERVISOR, ADMIN, MAIN_LEADER, DEPUTY_LEADER, INSPECTOR)
}

/** Urgency codes (`ItemRow.urgency`, `NewItem.urgency`), least urgent first. */
object Urgency {
    const val NORMAL = "normal"
    const val URGENT = "urgent"
    const val EXTRA_URGENT = "extra_urgent"

    val all = listOf(NORMAL, URGENT, EXTRA_URGENT)
}

/** Category codes the screens treat specially (`CategoryRow.code`). */
object Category {
    /** 问题整改: what a problem found on site usually is; the registration form starts on it. */
    const val RECTIFICATION = "rectification"
}
