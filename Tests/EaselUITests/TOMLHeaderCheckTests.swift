import EaselUI
import Testing

/// toml++ aborts the process on a table header with no name before its line ends; these inputs crashed
/// `easel config --file`, `easel themes` and the studio's start-up (a broken theme in the themes folder).
@Suite("TOML headers without a name are refused before the parser sees them")
struct TOMLHeaderCheckTests {
    @Test(arguments: [
        ("[\n", 1, 2), ("[[\n", 1, 3), ("[ \n", 1, 3), ("[\t\n", 1, 3), ("[#c\n", 1, 2), ("[.\n", 1, 2),
        ("x = 1\n[\n", 2, 2), ("[a]\nk = 1\n  [ \n", 3, 5), ("[]\n", 1, 2),
    ])
    func aHeaderWithoutANameIsFound(text: String, line: Int, column: Int) {
        let at = TOMLHeaderCheck.keylessHeader(in: text)
        #expect(at?.line == line && at?.column == column, "\(at.map { "\($0)" } ?? "nil") for \(text.debugDescription)")
    }

    @Test(arguments: [
        "[backends.gpu]\nkind = \"comfyui\"\n",
        "[[x]]\n[ \"quoted key\" ]\n['lit']\n",
        "members = [\n  \"a\",\n  [\n    1,\n  ],\n]\n",             // a nested array opened on a line of its own
        "t = { a = [\n] }\n",
        "s = \"\"\"\n[\n\"\"\"\n",                                 // inside a multi-line string
        "l = '''\n[\n'''\n",
        "# [\n",
        "[",                                                       // at the end of the file: the parser reports it
    ])
    func validTOMLAndOtherErrorsAreLeftToTheParser(text: String) {
        #expect(TOMLHeaderCheck.keylessHeader(in: text) == nil, "\(text.debugDescription)")
    }

    @Test func aThemeWithAKeylessHeaderIsAThemeErrorWithItsLine() {
        #expect(throws: ThemeError.self) { try Theme(name: "broken", toml: "[ui]\ntext = \"#ffffff\"\n[\n") }
        do { _ = try Theme(name: "broken", toml: "[ui]\n[\n") } catch { #expect(error.message.contains("broken: line 2")) }
    }
}
