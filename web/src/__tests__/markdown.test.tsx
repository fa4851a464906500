import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown, type MentionResolver } from "../markdown";

const resolver: MentionResolver = {
  user: (id) => (id === "1" ? "alice" : undefined),
  role: (id) => (id === "2" ? { name: "mods", color: "#ff0000" } : undefined),
  channel: (id) => (id === "3" ? "general" : undefined),
};
const html = (text: string) => renderToStaticMarkup(<Markdown text={text} resolver={resolver} />);

describe("markdown", () => {
  it("renders HTML in messages as text", () => {
    for (const attack of [
      "<img src=x onerror=alert(1)>",
      "<script>window.__pwned=1</script>",
      "**<b onmouseover=alert(1)>x</b>**",
      "`<iframe src=javascript:alert(1)>`",
      "```\n<svg onload=alert(1)>\n```",
    ]) {
      const out = html(attack);
      expect(out).not.toMatch(/<(img|script|b|iframe|svg)[\s>]/);
      expect(out).toContain("&lt;");
    }
  });

  it("links only http and https", () => {
    expect(html("see https://example.com/a?b=1.")).toContain('<a href="https://example.com/a?b=1"');
    expect(html("javascript:alert(1)")).not.toContain("<a");
    expect(html("[x](javascript:alert(1))")).not.toContain("<a");
  });

  it("renders Discord's inline styles", () => {
    expect(html("**bold** *it* _it2_ __under__ ~~gone~~ `code`")).toBe(
      "<strong>bold</strong> <em>it</em> <em>it2</em> <u>under</u> <s>gone</s> <code>code</code>",
    );
    expect(html("**bold *and italic***")).toBe("<strong>bold <em>and italic</em></strong>");
    // Underscores inside words are not emphasis (snake_case_names).
    expect(html("snake_case_name")).toBe("snake_case_name");
  });

  it("renders code blocks verbatim", () => {
    const out = html("before\n```rust\nlet x = **1**;\n```\nafter");
    expect(out).toContain('<pre data-lang="rust"><code>let x = **1**;\n</code></pre>');
  });

  it("resolves mentions and leaves unknown ones readable", () => {
    expect(html("hi <@1> <@!1>")).toContain("@alice</span> <span");
    expect(html("<@&2>")).toContain('style="color:#ff0000"');
    expect(html("<@&2>")).toContain("@mods");
    expect(html("<#3> <#9>")).toContain("#general");
    expect(html("<#9>")).toContain("#unknown");
    expect(html("<@99>")).toContain("@unknown-user");
  });

  it("renders quotes and keeps line breaks", () => {
    expect(html("> quoted\nplain")).toBe("<blockquote>quoted</blockquote>plain");
    expect(html("a\nb")).toBe("a\nb");
  });
});
