/* Accessible names and roles for Dash 4.4 components whose markup offers no prop for them
 * (dash/dcc/async-dropdown.js and OptionsList in dash_core_components.js):
 *
 * - dcc.Dropdown puts a focusable <input class="dash-dropdown-focus-target" aria-hidden="true">
 *   before its button: a trampoline that passes focus on to the button (axe: aria-hidden-focus),
 *   and names the button only by its value ("dic. 2024", not "Desde: dic. 2024"). Here the
 *   trampoline keeps its job but is named like the button instead of hidden, and the button's
 *   name starts with the field's <label>.
 * - dcc.RadioItems and dcc.Checklist draw native radios and checkboxes inside role="listbox" /
 *   role="option" labels (axe: nested-interactive, aria-input-field-name). Here the list becomes the radio group, named by
 *   the field's label (a group for checkboxes), and the labels plain labels: the native inputs
 *   carry the semantics.
 *
 * React leaves attributes alone until their prop changes; when it sets one again (a new value,
 * a re-mounted component), the observer below puts the fix back before anything reads it.
 */
(function () {
  'use strict';
  var LISTS = '.dash-radioitems, .dash-checklist';

  function labelId(control) {
    var wrap = control.closest('.field');
    var label = wrap && wrap.querySelector('.field__label');
    if (!label) { return null; }
    if (!label.id) { label.id = (control.id || 'field') + '-label'; }
    return label.id;
  }

  function fixDropdown(button) {
    var id = button.id;
    if (!id) { return; }
    var label = labelId(button);
    var wanted = (label ? label + ' ' : '') + id + '-value-count ' + id + '-value';
    if (button.getAttribute('aria-labelledby') !== wanted) {
      button.setAttribute('aria-labelledby', wanted);
    }
    var trampoline = button.previousElementSibling;
    if (trampoline && trampoline.classList.contains('dash-dropdown-focus-target')) {
      if (trampoline.hasAttribute('aria-hidden')) { trampoline.removeAttribute('aria-hidden'); }
      if (trampoline.getAttribute('aria-labelledby') !== wanted) {
        trampoline.setAttribute('aria-labelledby', wanted);
      }
      if (trampoline.getAttribute('role') !== 'combobox') {
        trampoline.setAttribute('role', 'combobox');
        trampoline.setAttribute('aria-haspopup', 'listbox');
      }
      var expanded = button.getAttribute('aria-expanded') || 'false';
      if (trampoline.getAttribute('aria-expanded') !== expanded) {
        trampoline.setAttribute('aria-expanded', expanded);
      }
    }
  }

  function fixRadios(list) {
    var role = list.classList.contains('dash-checklist') ? 'group' : 'radiogroup';
    if (list.getAttribute('role') !== role) { list.setAttribute('role', role); }
    var label = labelId(list);
    if (label && list.getAttribute('aria-labelledby') !== label) {
      list.setAttribute('aria-labelledby', label);
    }
    var wrap = list.closest('.field');
    if (wrap && wrap.hasAttribute('role')) {  // one group, not two nested
      wrap.removeAttribute('role');
      wrap.removeAttribute('aria-labelledby');
    }
    var options = list.querySelectorAll('.dash-options-list-option');
    for (var i = 0; i < options.length; i++) {
      if (options[i].hasAttribute('role')) { options[i].removeAttribute('role'); }
      if (options[i].hasAttribute('aria-selected')) { options[i].removeAttribute('aria-selected'); }
    }
  }

  // A table wider than a phone scrolls in its box (.table-scroll): the box takes focus, so the
  // keyboard can scroll it, and is named by its table's caption (axe: scrollable-region-focusable).
  function fixScroller(box) {
    if (box.getAttribute('tabindex') !== '0') { box.setAttribute('tabindex', '0'); }
    var caption = box.querySelector('caption');
    if (caption) {
      if (!caption.id) { caption.id = (box.id || 'table') + '-caption-' + (++captions); }
      if (box.getAttribute('aria-labelledby') !== caption.id) {
        box.setAttribute('role', 'region');
        box.setAttribute('aria-labelledby', caption.id);
      }
    }
  }
  var captions = 0;

  function fixAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var buttons = scope.querySelectorAll('button.dash-dropdown');
    for (var i = 0; i < buttons.length; i++) { fixDropdown(buttons[i]); }
    var lists = scope.querySelectorAll(LISTS);
    for (var j = 0; j < lists.length; j++) { fixRadios(lists[j]); }
    var boxes = scope.querySelectorAll('.table-scroll');
    for (var k = 0; k < boxes.length; k++) { fixScroller(boxes[k]); }
    if (scope.closest) {
      var box = scope.closest('.table-scroll');
      if (box) { fixScroller(box); }
    }
  }

  function onMutations(records) {
    for (var i = 0; i < records.length; i++) {
      var target = records[i].target;
      if (!(target instanceof Element)) { continue; }
      if (records[i].type === 'childList') {
        if (target.closest('.js-plotly-plot, .dash-graph')) { continue; }  // charts: nothing here
        fixAll(target.closest('.field') || target);
        continue;
      }
      if (target.matches('button.dash-dropdown')) { fixDropdown(target); }
      else if (target.matches('.dash-dropdown-focus-target') && target.nextElementSibling) {
        fixDropdown(target.nextElementSibling);
      } else if (target.closest(LISTS)) { fixRadios(target.closest(LISTS)); }
    }
  }

  function start() {
    fixAll(document);
    new MutationObserver(onMutations).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ['aria-hidden', 'aria-labelledby', 'aria-selected', 'aria-expanded', 'role'],
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
