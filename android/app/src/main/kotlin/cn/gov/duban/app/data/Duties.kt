// The approvals the app decides, and the codes the core gives categories. Which
// duty an item asks of whom, and which acts a person may take, are the core's rules
// (`ItemScreen.acts`); the app only maps them to its buttons.
package cn.gov.duban.app.data

import uniffi.duban_ffi.Act
import uniffi.duban_ffi.Duty

/** What waits for my approval, by the duty that asks it and the act that decides it. */
enum class Approval(val duty: Duty, val act: Act) {
    Registration(Duty.APPROVE_REGISTRATION, Act.DECIDE_REGISTRATION),
    Extension(Duty.DECIDE_EXTENSION, Act.DECIDE_EXTENSION),
    Suspension(Duty.DECIDE_SUSPENSION, Act.DECIDE_SUSPENSION),
    Resumption(Duty.DECIDE_RESUMPTION, Act.DECIDE_RESUMPTION),
    Report(Duty.APPROVE_REPORT, Act.DECIDE_REPORT),
    ;

    companion object {
        /** The approval a duty asks for, if it is one. */
        fun of(duty: Duty): Approval? = entries.firstOrNull { it.duty == duty }

        /** The approval an act decides, if it is one. */
        fun of(act: Act): Approval? = entries.firstOrNull { it.act == act }
    }
}

/** Category codes the screens treat specially (`CategoryRow.code`). */
object Category {
    /** 问题整改: what a problem found on site usually is; the registration form starts on it. */
    const val RECTIFICATION = "rectification"
}
