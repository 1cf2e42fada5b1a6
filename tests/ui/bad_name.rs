use guard_runtime::secure_tool;

/// Tool.
#[secure_tool(name = "")]
fn empty() -> u32 { 1 }

/// Tool.
#[secure_tool(name = "a_name_that_is_far_too_long_to_be_accepted_by_openai_function_calling")]
fn long_name() -> u32 { 2 }

/// Tool.
#[secure_tool]
fn a_function_name_that_is_far_too_long_to_be_accepted_by_openai_calls() -> u32 { 3 }

fn main() {}
