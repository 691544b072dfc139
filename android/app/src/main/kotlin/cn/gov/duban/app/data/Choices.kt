// What the forms offer to choose from: the units a unit head may decompose to, and the
// "before" photo a new "after" photo answers by default. Only the offer: the core decides
// whether the act that follows is allowed.
package cn.gov.duban.app.data

import uniffi.duban_ffi.PhotoPairRow
import uniffi.duban_ffi.UnitRow

/**
 * The units below [mine]: those whose chain of parents reaches it, in the core's order.
 * None when I have no unit. A chain that loops (a broken list) stops where it repeats.
 */
fun unitsBelow(units: List<UnitRow>, mine: String?): List<UnitRow> {
    if (mine == null) return emptyList()
    val parentOf = units.associate { it.id to it.parent }
    return units.filter { unit ->
        val seen = mutableSetOf(unit.id)
        var parent = unit.parent
        var below = false
        while (parent != null && seen.add(parent)) {
            if (parent == mine) {
                below = true
                break
            }
            parent = parentOf[parent]
        }
        below
    }
}

/**
 * The hash of the first "before" photo that no "after" photo answers yet, neither on the
 * item ([pairs]) nor among the photos already taken for this report ([taken], the hashes
 * they answer); none when every one is answered.
 */
fun firstUnanswered(pairs: List<PhotoPairRow>, taken: Collection<String>): String? =
    pairs.firstOrNull { it.after.isEmpty() && it.before.hash !in taken }?.before?.hash
