// Tabs after the WAI-ARIA Authoring Practices "Tabs" pattern (automatic activation): one tab stop
// for the whole tab list (roving tabindex), Left/Right arrows move between tabs and wrap, Home/End
// jump to the ends, and the selected tab's panel is the only one shown. Each tab can carry an
// error count, so a problem on the hidden tab is not missed.

export function setUpTabs(tablist) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];
  const panelOf = (tab) => document.getElementById(tab.getAttribute("aria-controls"));

  function select(tab, { focus = false } = {}) {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      panelOf(other).hidden = !selected;
    }
    if (focus) tab.focus();
  }

  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) select(tab);
  });

  tablist.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const last = tabs.length - 1;
    const next = {
      ArrowRight: index === last ? 0 : index + 1,
      ArrowLeft: index === 0 ? last : index - 1,
      Home: 0,
      End: last,
    }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(tabs[next], { focus: true });
  });

  return {
    /** Shows the tab whose panel has the given id. */
    show(panelId, options) {
      const tab = tabs.find((candidate) => candidate.getAttribute("aria-controls") === panelId);
      if (tab) select(tab, options);
    },
    /** Marks a tab with the number of errors on its panel (0 clears the mark). */
    setErrorCount(panelId, count) {
      const tab = tabs.find((candidate) => candidate.getAttribute("aria-controls") === panelId);
      const mark = tab?.querySelector(".tab-errors");
      if (!mark) return;
      mark.hidden = count === 0;
      mark.textContent = count === 0 ? "" : ` (${count} ${count === 1 ? "error" : "errors"})`;
    },
  };
}
