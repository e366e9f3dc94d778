// Placeholder so mcutune_space links before its first source lands.
namespace mcutune::space {}
