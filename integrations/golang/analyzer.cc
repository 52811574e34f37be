// Placeholder; the analyzer lands here.
namespace medic {}
