// Where keyboard focus goes after an action. Buttons are disabled while an action runs, and a
// disabled or hidden control loses focus to the page body, which sends a keyboard or screen-reader
// user back to the top of the page. After an action the page puts focus on the first control of a
// list of candidates that can take it: usually the button that was pressed, else the next sensible
// control (Generate after Reset, New connection after Delete).

/** Whether `element` can take focus now: attached, shown, enabled and not inside an inert part. */
export function canFocus(element) {
  return element instanceof HTMLElement
    && element.isConnected
    && !element.disabled
    && element.getClientRects().length > 0
    && element.closest("[inert]") === null;
}

/** Whether focus is nowhere useful: on the body, or on a control that cannot hold it any more. */
export function focusIsLost() {
  const active = document.activeElement;
  return active === null || active === document.body || !canFocus(active);
}

/**
 * Focuses the first candidate that can take focus. Candidates are elements, element ids, or
 * functions answering one of those (evaluated only when reached). Answers the focused element.
 */
export function focusFirst(candidates) {
  for (const candidate of candidates) {
    const value = typeof candidate === "function" ? candidate() : candidate;
    const element = typeof value === "string" ? document.getElementById(value) : value;
    if (canFocus(element)) {
      element.focus();
      return element;
    }
  }
  return null;
}
