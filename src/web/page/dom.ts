type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | ((event: Event) => void) | undefined>;

/**
 * An element with attributes (`on…` ones are listeners) and children. Text is always a text node, never HTML: task
 * names, commands and logs are whatever their authors typed.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

/** Replaces an element's children. */
export function fill(element: Element, ...children: (Child | Child[])[]): void {
  element.replaceChildren(...children.flat().filter((c): c is Node | string => Boolean(c)));
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** A table with its header's names, around a body its view refills. */
export function table(header: string[], body: HTMLTableSectionElement, id?: string): HTMLTableElement {
  const names = h(
    "tr",
    {},
    header.map((name) => h("th", {}, name)),
  );
  return h("table", { id }, h("thead", {}, names), body);
}

/** The one row of a table with nothing to show, saying so. */
export function emptyRow(columns: number, text: string): HTMLTableRowElement {
  return h("tr", {}, h("td", { colspan: String(columns), class: "muted" }, text));
}

/**
 * Attributes that name what an element shows (a task's row, a lease's, a state's chip): a refresh that changed
 * such an element updates it in place rather than replacing it.
 */
const KEYS = ["data-task", "data-lease", "data-sweep", "data-tag", "data-runner", "data-state", "data-attempt"];

/**
 * Makes an element's children the ones given, changing only what differs from what is shown: a child equal to
 * one shown keeps the one shown; a child named as one shown (KEYS: the same task's row) updates that one in place,
 * its attributes and, the same way, its children; the others are inserted, and children no longer given go. So a
 * refresh that moved one cell of one row (a running task's time) leaves every other row, cell and link as it was:
 * a focused link keeps its focus, selected text stays selected, a press held across a refresh still clicks. A
 * listener kept this way is an older one: it must read what it acts on when it runs.
 */
export function refill(element: Element, ...children: (Child | Child[])[]): void {
  const next = children
    .flat()
    .filter((c): c is Node | string => Boolean(c))
    .map((c) => (typeof c === "string" ? document.createTextNode(c) : c));
  reconcile(element, next);
}

function reconcile(parent: Node, next: Node[]): void {
  const shown = [...parent.childNodes];
  const equal = new Map<string, Node[]>();
  const named = new Map<string, Node>();
  for (const node of shown) {
    const text = signature(node);
    const same = equal.get(text);
    if (same) same.push(node);
    else equal.set(text, [node]);
    const key = keyOf(node);
    if (key) named.set(key, node);
  }
  const kept = new Set<Node>();
  // Equal children first, so that an unchanged row is never taken to be updated into another.
  const placed: (Node | undefined)[] = next.map((child) => {
    const node = equal.get(signature(child))?.shift();
    if (node) kept.add(node);
    return node;
  });
  next.forEach((child, i) => {
    if (placed[i]) return;
    const key = keyOf(child);
    const old = key ? named.get(key) : undefined;
    if (!old || kept.has(old)) {
      placed[i] = child;
      return;
    }
    kept.add(old);
    update(old as Element, child as Element);
    placed[i] = old;
  });
  for (const node of shown) if (!kept.has(node)) parent.removeChild(node);
  // Kept children stay where they are unless the order changed: moving a node would drop its focus.
  let cursor = parent.firstChild;
  for (const node of placed) {
    if (!node) continue;
    if (node === cursor) cursor = node.nextSibling;
    else parent.insertBefore(node, cursor);
  }
}

function update(old: Element, next: Element): void {
  for (const { name } of [...old.attributes]) if (!next.hasAttribute(name)) old.removeAttribute(name);
  for (const { name, value } of [...next.attributes])
    if (old.getAttribute(name) !== value) old.setAttribute(name, value);
  reconcile(old, [...next.childNodes]);
}

function signature(node: Node): string {
  return node instanceof Element ? node.outerHTML : `${node.nodeName}:${node.textContent}`;
}

function keyOf(node: Node): string | null {
  if (!(node instanceof Element)) return null;
  const name = KEYS.find((attribute) => node.hasAttribute(attribute));
  return name ? `${node.tagName} ${name}=${node.getAttribute(name)}` : null;
}
