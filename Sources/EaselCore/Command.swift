/// A user intent a key can be bound to. Raw values are the names used in keymap files.
public enum Command: String, CaseIterable, Sendable {
    case generate
    case quit
    case quitIfEmpty = "quit_if_empty"
    case focusNext = "focus_next"
    case focusPrevious = "focus_previous"
    case focusPrompt = "focus_prompt"
    case toggleHelp = "toggle_help"
    case closeOverlay = "close_overlay"
    case selectUp = "select_up"
    case selectDown = "select_down"
    case cursorLeft = "cursor_left"
    case cursorRight = "cursor_right"
    case cursorLineStart = "cursor_line_start"
    case cursorLineEnd = "cursor_line_end"
    case cursorWordLeft = "cursor_word_left"
    case cursorWordRight = "cursor_word_right"
    case deleteBackward = "delete_backward"
    case deleteForward = "delete_forward"
    case deleteWordBackward = "delete_word_backward"
    case killToLineEnd = "kill_to_line_end"
    case killToLineStart = "kill_to_line_start"
    case cycleSize = "cycle_size"
    case redraw

    /// One line, shown in the `?` overlay and the status bar.
    public var doc: String {
        switch self {
        case .generate: "Generate from the prompt"
        case .quit: "Quit Easel"
        case .quitIfEmpty: "Delete forward, or quit if empty"
        case .focusNext: "Focus the next pane"
        case .focusPrevious: "Focus the previous pane"
        case .focusPrompt: "Focus the prompt editor"
        case .toggleHelp: "Show or hide this help"
        case .closeOverlay: "Close the overlay"
        case .selectUp: "Select the previous row"
        case .selectDown: "Select the next row"
        case .cursorLeft: "Move the cursor left"
        case .cursorRight: "Move the cursor right"
        case .cursorLineStart: "Move to the start of the line"
        case .cursorLineEnd: "Move to the end of the line"
        case .cursorWordLeft: "Move one word left"
        case .cursorWordRight: "Move one word right"
        case .deleteBackward: "Delete the previous character"
        case .deleteForward: "Delete the next character"
        case .deleteWordBackward: "Delete the previous word"
        case .killToLineEnd: "Delete to the end of the line"
        case .killToLineStart: "Delete to the start of the line"
        case .cycleSize: "Cycle the output size"
        case .redraw: "Repaint the screen and its pictures"
        }
    }
}
